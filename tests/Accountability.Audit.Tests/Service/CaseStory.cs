using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;

namespace Accountability.Audit.Tests.Service;

/// <summary>One step of a case's life: the events that make it, all at one instant, and who owns the case after it.</summary>
public sealed record StoryStep(string Name, DateTimeOffset At, IReadOnlyList<object> Events, string Status, string OwnerId, bool HandoffPending, bool Acknowledged, int CustodyIntervals);

/// <summary>
/// A realistic custody story in the real contract shapes, as intake, assignment and escalation
/// would say it: received, routed, a handoff requested and accepted, acknowledged, escalated,
/// resolved, reopened, resolved again. Steps are a minute apart; CaseVersion is assignment's.
/// </summary>
public static class CaseStory
{
    public const string Desk = "u-intake-desk";
    public const string FirstInvestigator = "p-1011";
    public const string SecondInvestigator = "p-1019";
    public const string Supervisor = "p-1005";

    public static IReadOnlyList<StoryStep> Build(Guid caseId, DateTimeOffset start)
    {
        var allegation = Guid.NewGuid();
        long version = 0;
        var handoff = Guid.NewGuid();
        DateTimeOffset At(int minute) => start.AddMinutes(minute);
        CustodyTransferred Transfer(int minute, string? fromId, string toId, string kind, string actor, string reason, Guid? handoffId = null, int? level = null) => new()
        {
            CaseId = caseId, CaseVersion = ++version, Actor = actor, Reason = reason, OccurredAt = At(minute),
            FromOwnerKind = fromId is null ? null : fromId.StartsWith("u-", StringComparison.Ordinal) ? "unit" : "person", FromOwnerId = fromId,
            ToOwnerKind = toId.StartsWith("u-", StringComparison.Ordinal) ? "unit" : "person", ToOwnerId = toId,
            TransferKind = kind, HandoffId = handoffId, EscalationLevel = level,
        };

        return
        [
            new("received", At(0),
            [
                new ComplaintReceived
                {
                    CaseId = caseId, CaseVersion = 1, TrackingCode = "RPD-AUDIT-" + caseId.ToString("N")[..8], Category = "force", Channel = "phone",
                    District = "2", SubjectOfficerBadges = ["B-4411"],
                    Allegations = [new ReceivedAllegation { AllegationId = allegation, Type = "force", OfficerBadge = "B-4411" }],
                    Anonymous = true, IntakeDeskUnitId = Desk, ReceivedAt = At(0), Actor = "p-1007", Reason = "",
                },
                new CaseOpened
                {
                    CaseId = caseId, CaseVersion = ++version, Actor = "system:assignment", Reason = "", OccurredAt = At(0),
                    SubjectOfficerBadges = ["B-4411"], Category = "force", District = "2",
                    Allegations = [new CaseAllegation { Id = allegation.ToString(), Type = "force", OfficerBadge = "B-4411" }],
                },
                Transfer(0, null, Desk, "received", "p-1007", ""),
            ], "open", Desk, false, false, 1),
            new("routed", At(1),
            [
                new CaseRouted { CaseId = caseId, CaseVersion = ++version, Actor = "system:routing", Reason = "force in district 2", OccurredAt = At(1), UnitId = "u-ia", ToOwnerKind = "person", ToOwnerId = FirstInvestigator },
                Transfer(1, Desk, FirstInvestigator, "routed", "system:routing", "force in district 2"),
            ], "open", FirstInvestigator, false, false, 2),
            new("handoff requested", At(2),
            [
                new HandoffRequested { CaseId = caseId, CaseVersion = ++version, Actor = FirstInvestigator, Reason = "Speaks the complainant's language", OccurredAt = At(2), HandoffId = handoff, FromOwnerKind = "person", FromOwnerId = FirstInvestigator, ToOwnerKind = "person", ToOwnerId = SecondInvestigator },
            ], "open", FirstInvestigator, true, false, 2),
            new("handoff accepted", At(3),
            [
                new HandoffAccepted { CaseId = caseId, CaseVersion = ++version, Actor = SecondInvestigator, Reason = "", OccurredAt = At(3), HandoffId = handoff, FromOwnerKind = "person", FromOwnerId = FirstInvestigator, ToOwnerKind = "person", ToOwnerId = SecondInvestigator },
                Transfer(3, FirstInvestigator, SecondInvestigator, "handoff", SecondInvestigator, "Speaks the complainant's language", handoff),
            ], "open", SecondInvestigator, false, false, 3),
            new("acknowledged", At(4),
            [
                new CaseAcknowledged { CaseId = caseId, CaseVersion = ++version, Actor = SecondInvestigator, Reason = "", OccurredAt = At(4), OwnerKind = "person", OwnerId = SecondInvestigator },
            ], "open", SecondInvestigator, false, true, 3),
            new("escalated", At(5),
            [
                new EscalateCase { CaseId = caseId, ToPersonId = Supervisor, Reason = "first-contact clock breached", Clock = "first-contact", Level = 1, RequestedAt = At(5) },
                Transfer(5, SecondInvestigator, Supervisor, "escalated", "system:escalation", "first-contact clock breached", level: 1),
            ], "open", Supervisor, false, false, 4),
            new("resolved", At(6),
            [
                new FindingsRecorded { CaseId = caseId, CaseVersion = ++version, Actor = Supervisor, Reason = "", OccurredAt = At(6), AllegationId = allegation.ToString(), Finding = "not-sustained" },
                new CaseResolved { CaseId = caseId, CaseVersion = ++version, Actor = Supervisor, Reason = "Investigation complete", OccurredAt = At(6), OwnerKind = "person", OwnerId = Supervisor, Findings = [new AllegationFinding { AllegationId = allegation.ToString(), Finding = "not-sustained" }] },
            ], "resolved", Supervisor, false, false, 4),
            new("reopened", At(7),
            [
                new CaseReopened { CaseId = caseId, CaseVersion = ++version, Actor = "p-1002", Reason = "New witness came forward", OccurredAt = At(7), OwnerKind = "person", OwnerId = SecondInvestigator },
                Transfer(7, Supervisor, SecondInvestigator, "reopened", "p-1002", "New witness came forward"),
            ], "open", SecondInvestigator, false, false, 5),
            new("resolved again", At(8),
            [
                new CaseResolved { CaseId = caseId, CaseVersion = ++version, Actor = SecondInvestigator, Reason = "Witness account does not change the finding", OccurredAt = At(8), OwnerKind = "person", OwnerId = SecondInvestigator, Findings = [new AllegationFinding { AllegationId = allegation.ToString(), Finding = "not-sustained" }] },
            ], "resolved", SecondInvestigator, false, false, 5),
        ];
    }

    /// <summary>A fresh W3C traceparent, so each event's trace id can be checked in the trail.</summary>
    public static string NewTraceParent() =>
        $"00-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}-01";
}
