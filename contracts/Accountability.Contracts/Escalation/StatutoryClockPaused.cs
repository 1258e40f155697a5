namespace Accountability.Contracts.Escalation;

/// <summary>The statutory clock of a case stopped counting, on one of the recorded grounds.</summary>
public sealed record StatutoryClockPaused
{
    public required Guid CaseId { get; init; }

    /// <summary>Numbered by the escalation service, +1 per event it says about this case (its own counter, separate from the assignment service's CaseVersion): consumers use it to drop duplicates.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>"system:escalation" for timers and the gap monitor, else the person id who acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened, in words a supervisor can act on.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>A value of <see cref="StatutoryPauseReasons"/>; <see cref="Reason"/> repeats it.</summary>
    public required string PauseReason { get; init; }

    /// <summary>What remained of the statutory budget when it paused.</summary>
    public required TimeSpan Remaining { get; init; }
}
