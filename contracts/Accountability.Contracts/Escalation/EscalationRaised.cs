namespace Accountability.Contracts.Escalation;

/// <summary>
/// The escalation service took a case up the chain of command: after a breach, or because the gap
/// monitor found it unowned or overdue. Supervisors are told through this; custody moves only when
/// <see cref="Outcome"/> is "custody-requested" and the assignment service performs the EscalateCase.
/// </summary>
public sealed record EscalationRaised
{
    public required Guid CaseId { get; init; }

    /// <summary>Numbered by the escalation service, +1 per event it says about this case (its own counter, separate from the assignment service's CaseVersion): consumers use it to drop duplicates.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>"system:escalation" for timers and the gap monitor, else the person id who acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened, in words a supervisor can act on.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The clock that breached (a value of <see cref="SlaClocks"/>), or "owner" for an unknown or inactive owner.</summary>
    public required string Clock { get; init; }

    /// <summary>1 = the owner's supervisor (or a unit's commander), 2 = the next one up, ...</summary>
    public required int Level { get; init; }

    /// <summary>The owner when it was raised: "person" or "unit".</summary>
    public required string OwnerKind { get; init; }
    public required string OwnerId { get; init; }

    /// <summary>Who takes it up; null when the owner is already the top of the chain.</summary>
    public string? ToPersonId { get; init; }

    /// <summary>custody-requested (EscalateCase sent), supervisor-notified (the owner keeps the case), or top-of-chain (nobody above).</summary>
    public required string Outcome { get; init; }

    /// <summary>timer or gap-monitor.</summary>
    public required string Source { get; init; }
}
