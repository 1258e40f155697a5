using System.Text.Json;
using Accountability.Contracts.Directory;

namespace Accountability.Console.Backend;

// The services' JSON as the console reads it. Each record mirrors one service response; fields the
// console does not show are left out (System.Text.Json ignores them).

public sealed record OwnerDto(string Kind, string Id, string? Name);

public sealed record PendingHandoffDto(Guid HandoffId, string ToKind, string ToId, string? ToName, string Reason, string RequestedBy, DateTimeOffset RequestedAt);

/// <summary>Assignment: how the last handoff since the owner took the case ended without moving it ("declined" or "expired").</summary>
public sealed record HandoffOutcomeDto(string Outcome, string ToKind, string ToId, string? ToName, string? Reason, string RequestedBy, string? RequestedByName, DateTimeOffset At)
{
    /// <summary>The outcome as a dispatcher says it: "declined", or "expired unanswered".</summary>
    public string InWords => Outcome == "expired" ? "expired unanswered" : Outcome;

    /// <summary>The same in a sentence about the handoff: "was declined", or "expired unanswered".</summary>
    public string InSentence => Outcome == "expired" ? "expired unanswered" : "was " + Outcome;
}

public sealed record AllegationDto(string Id, string Type, string OfficerBadge, string? Finding, string? OfficerDescription = null);

/// <summary>Assignment: GET /api/cases, /api/cases/{id}.</summary>
public sealed record CaseDto(
    Guid CaseId, string Status, OwnerDto Owner, string UnitId, string Category, string? District, bool Acknowledged, bool Contacted,
    bool Overdue, IReadOnlyList<AllegationDto>? Allegations, PendingHandoffDto? PendingHandoff, DateTimeOffset ReceivedAt, DateTimeOffset UpdatedAt, long CaseVersion,
    string? Access = null, string? CaseNumber = null, IReadOnlyList<ContactRecordDto>? Contacts = null,
    bool Confidential = false, ConfidentialityDto? Confidentiality = null, ResolutionDto? Resolution = null, HandoffOutcomeDto? LastHandoffOutcome = null)
{
    /// <summary>What people call the case: its number (IA-2026-00042), or its id for cases filed before numbers existed.</summary>
    public string Label => CaseNumber ?? CaseId.ToString();

    /// <summary>The board's view (dispatchers, admins): no allegations, narrative or complainant.</summary>
    public bool IsBoardView => Access == "board";

    /// <summary>A confidential case seen only as the board sees it: its category, district and deadlines are not this reader's.</summary>
    public bool IsMasked => Confidential && IsBoardView;
}

/// <summary>Assignment: the note a resolved case was closed with, by whom and when; only in the full view.</summary>
public sealed record ResolutionDto(string Note, string ResolvedBy, string? ResolvedByName, DateTimeOffset ResolvedAt);

public sealed record TeamMemberDto(string Id, string? Name);

/// <summary>Assignment: who may see a confidential case and why; only in the full view.</summary>
public sealed record ConfidentialityDto(IReadOnlyList<TeamMemberDto> Team, string Reason, string MarkedBy, string? MarkedByName, DateTimeOffset MarkedAt);

/// <summary>Assignment: one recorded contact with the complainant; Method is null for contacts recorded before it was asked for.</summary>
public sealed record ContactRecordDto(string? Method, string? Note, string Actor, string? ActorName, DateTimeOffset At);

/// <summary>Assignment: GET /api/cases/{id}/custody.</summary>
public sealed record CustodyIntervalDto(int Seq, string OwnerKind, string OwnerId, string OwnerName, DateTimeOffset From, DateTimeOffset? To, string TransferKind, string Reason, string Actor,
    string? ReasonBy = null);

public sealed record AwaitingHandoffDto(Guid CaseId, PendingHandoffDto Handoff, string? CaseNumber = null, string? Category = null, string? District = null);

/// <summary>Assignment: GET /api/me/inbox.</summary>
public sealed record InboxDto(string PersonId, IReadOnlyList<CaseDto> Cases, IReadOnlyList<AwaitingHandoffDto> HandoffsAwaitingMe);

/// <summary>Assignment: GET /api/directory.</summary>
public sealed record DirectoryDto(long Version, OrgDirectory Directory);

public sealed record ClockPauseDto(DateTimeOffset From, DateTimeOffset? To, string Reason, string Actor);

/// <summary>Escalation: one SLA clock of a case.</summary>
public sealed record ClockDto(
    string Clock, string State, DateTimeOffset StartedAt, DateTimeOffset? DueAt, double? ElapsedPercent, IReadOnlyList<ClockPauseDto>? Pauses,
    DateTimeOffset? BreachedAt);

/// <summary>Escalation: GET /api/clocks?caseIds=.</summary>
public sealed record CaseClocksDto(Guid CaseId, IReadOnlyList<ClockDto> Clocks);

/// <summary>Escalation: GET /api/escalations.</summary>
public sealed record EscalationDto(
    Guid EscalationId, Guid CaseId, string Clock, int Level, string OwnerKind, string OwnerId, string? ToPersonId, string Outcome, string Source, string Reason, DateTimeOffset RaisedAt);

/// <summary>Escalation: GET /api/gap-monitor.</summary>
public sealed record GapMonitorDto(DateTimeOffset SweptAt, int OpenCases, int Unowned, int Overdue, string? Error);

/// <summary>Intake: GET /api/complaints/{id} (staff).</summary>
public sealed record ComplaintDto(
    Guid CaseId, string Category, string Channel, string? District, DateTimeOffset? OccurredAt, JsonElement? Location, string Narrative,
    IReadOnlyList<string>? SubjectOfficerBadges, bool Anonymous, DateTimeOffset ReceivedAt, string FiledBy, bool ContactVisible, ContactDto? Complainant);

public sealed record ContactDto(string? Name, string? Email, string? Phone);

/// <summary>Intake: the answer to a public filing.</summary>
public sealed record FilingReceiptDto(Guid CaseId, string TrackingCode, string Status, string? CaseNumber = null, ReceiptOwnerDto? Owner = null);

public sealed record ReceiptOwnerDto(string Kind, string Id, string Name);

public sealed record MilestoneDto(string Milestone, DateTimeOffset At);

/// <summary>Intake: GET /api/public/status/{code}.</summary>
public sealed record PublicStatusDto(
    string TrackingCode, string Status, string Category, DateTimeOffset ReceivedAt, DateTimeOffset UpdatedAt, string? ResponsibleUnit,
    IReadOnlyList<MilestoneDto> Milestones, string? Note, IReadOnlyList<PublicFindingDto>? Outcome = null, string? OutcomeContact = null);

public sealed record PublicFindingDto(string Allegation, string Finding);

/// <summary>Notification: GET /api/satisfaction.</summary>
public sealed record SatisfactionDto(IReadOnlyList<UnitSatisfactionDto> Units);

public sealed record UnitSatisfactionDto(string? UnitId, string UnitName, long Asked, long Answered, double? AverageAnswer);

public sealed record AuditOwnerDto(string Kind, string Id);

/// <summary>Audit: one step of GET /api/audit/cases/{id}/trail.</summary>
public sealed record TrailStepDto(long Seq, long GlobalSeq, string Type, DateTimeOffset OccurredAt, long? CaseVersion, string? Actor, AuditOwnerDto? Owner, string? Reason, string? TraceId);

public sealed record AuditCustodyDto(int Seq, AuditOwnerDto Owner, DateTimeOffset From, DateTimeOffset? To, string TransferKind, string Reason, string Actor);

/// <summary>Audit: GET /api/audit/cases/{id}/state[?asOf=].</summary>
public sealed record AuditStateDto(
    Guid CaseId, string Status, AuditOwnerDto? Owner, bool Acknowledged, bool ComplainantContacted, string? Category, string? District,
    IReadOnlyList<AllegationDto>? Allegations, IReadOnlyList<AuditCustodyDto>? Custody, int EventsApplied, DateTimeOffset? LastEventAt, string? CaseNumber = null);

public sealed record BadRecordDto(long GlobalSeq, Guid? EventId, string Problem, string Detail);

/// <summary>Audit: GET /api/audit/verify.</summary>
public sealed record VerificationDto(bool Valid, long CheckedRecords, long CheckedCheckpoints, BadRecordDto? FirstBadRecord, string Message);

/// <summary>Audit: one entry of GET /api/audit/access-log.</summary>
public sealed record AccessRecordDto(
    Guid AccessId, Guid? CaseId, string Component, string EventType, string UserId, IReadOnlyList<string>? Roles, string Resource, string Outcome,
    int StatusCode, DateTimeOffset OccurredAt, string? TraceId);

/// <summary>Intake: one case of GET /api/complaints?trackingCode= | ?complainantName=.</summary>
public sealed record FoundComplaintDto(Guid CaseId, string? CaseNumber);
