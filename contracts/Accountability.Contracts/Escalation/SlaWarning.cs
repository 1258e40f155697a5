namespace Accountability.Contracts.Escalation;

/// <summary>A clock of a case passed a warning threshold (50, 75 or 90% by default); the owner should act before it breaches.</summary>
public sealed record SlaWarning
{
    public required Guid CaseId { get; init; }

    /// <summary>Numbered by the escalation service, +1 per event it says about this case (its own counter, separate from the assignment service's CaseVersion): consumers use it to drop duplicates.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>"system:escalation" for timers and the gap monitor, else the person id who acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened, in words a supervisor can act on.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>A value of <see cref="SlaClocks"/>.</summary>
    public required string Clock { get; init; }

    /// <summary>The threshold passed, 1 to 99.</summary>
    public required int Percent { get; init; }

    /// <summary>When the clock breaches, as of this warning.</summary>
    public required DateTimeOffset DueAt { get; init; }

    /// <summary>The owner at this instant, who is being warned: "person" or "unit".</summary>
    public required string OwnerKind { get; init; }
    public required string OwnerId { get; init; }

    /// <summary>The policy version the case runs under.</summary>
    public required int PolicyVersion { get; init; }

    /// <summary>When the warning was due; later than that (after downtime), <see cref="Late"/> is true.</summary>
    public required DateTimeOffset ScheduledFor { get; init; }
    public required bool Late { get; init; }
    public required TimeSpan Lateness { get; init; }
}
