using System.Collections.Immutable;

namespace Accountability.Assignment.Features.Custody;

public enum CaseStatus
{
    /// <summary>The state before the Receive command: no case, no owner.</summary>
    NotReceived,
    Open,
    Resolved,
}

/// <summary>One row of the custody ledger. <see cref="To"/> is null on the open interval; intervals are half-open [From, To).</summary>
public sealed record CustodyInterval(
    CaseOwner Owner,
    DateTimeOffset From,
    DateTimeOffset? To,
    string TransferKind,
    string Reason,
    string Actor)
{
    public bool IsOpen => To is null;

    public bool Covers(DateTimeOffset instant) => From <= instant && (To is null || instant < To);
}

/// <summary>A handoff waiting for its receiver. The case stays with <see cref="From"/> until it is accepted.</summary>
public sealed record PendingHandoff(
    Guid HandoffId,
    CaseOwner From,
    CaseOwner To,
    DateTimeOffset RequestedAt,
    string RequestedBy,
    string Reason);

/// <summary>An allegation; <paramref name="OfficerBadge"/> is empty for an unidentified officer.</summary>
public sealed record Allegation(string Id, string Type, string OfficerBadge, string? Finding, string? OfficerDescription = null);

/// <summary>
/// A confidential case's team (issue 12): who, besides the owner, a pending handoff's receiver, internal-affairs command
/// and auditors, may see it; set by internal-affairs command, with a reason.
/// </summary>
public sealed record Confidentiality(ImmutableList<string> Team, string Reason, string MarkedBy, DateTimeOffset MarkedAt);

/// <summary>A case as the custody rules see it: the fold of its events (<see cref="CustodyDecider.Evolve"/>).</summary>
public sealed record CaseState
{
    public static CaseState NotReceived { get; } = new();

    public Guid CaseId { get; init; }
    public CaseStatus Status { get; init; } = CaseStatus.NotReceived;

    /// <summary>Null only before the case is received.</summary>
    public CaseOwner? Owner { get; init; }

    /// <summary>Oldest first; the last interval is the open one.</summary>
    public ImmutableList<CustodyInterval> Ledger { get; init; } = [];

    public PendingHandoff? PendingHandoff { get; init; }

    /// <summary>Reset by every transfer and by a reopen: each new holder must say they have it.</summary>
    public bool AcknowledgedByCurrentOwner { get; init; }

    public ImmutableList<string> SubjectOfficerBadges { get; init; } = [];
    public ImmutableList<Allegation> Allegations { get; init; } = [];
    public bool ComplainantContacted { get; init; }

    /// <summary>Null unless internal-affairs command made the case confidential.</summary>
    public Confidentiality? Confidential { get; init; }

    /// <summary>The CaseVersion of the last event applied; 0 before the first.</summary>
    public long Version { get; init; }

    public DateTimeOffset? ReceivedAt => Ledger.IsEmpty ? null : Ledger[0].From;

    public CustodyInterval? OpenInterval => Ledger.IsEmpty ? null : Ledger[^1];

    /// <summary>The unit that held the case from receipt: routing only takes cases from it.</summary>
    public CaseOwner? IntakeOwner => Ledger.IsEmpty ? null : Ledger[0].Owner;

    /// <summary>Who was accountable at <paramref name="instant"/>; null before receipt.</summary>
    public CaseOwner? OwnerAt(DateTimeOffset instant) => Ledger.FirstOrDefault(interval => interval.Covers(instant))?.Owner;
}
