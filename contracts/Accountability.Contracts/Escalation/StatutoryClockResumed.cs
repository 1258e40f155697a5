namespace Accountability.Contracts.Escalation;

/// <summary>The statutory clock of a case counts again; the deadline moved by the time it was paused.</summary>
public sealed record StatutoryClockResumed
{
    public required Guid CaseId { get; init; }

    /// <summary>Numbered by the escalation service, +1 per event it says about this case (its own counter, separate from the assignment service's CaseVersion): consumers use it to drop duplicates.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>"system:escalation" for timers and the gap monitor, else the person id who acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened, in words a supervisor can act on.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The ground it had been paused on.</summary>
    public required string PauseReason { get; init; }

    public required DateTimeOffset PausedAt { get; init; }

    /// <summary>The new statutory deadline.</summary>
    public required DateTimeOffset DueAt { get; init; }
}
