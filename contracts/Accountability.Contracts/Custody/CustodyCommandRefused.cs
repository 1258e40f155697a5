namespace Accountability.Contracts.Custody;

/// <summary>
/// Someone asked for a custody step and the rules refused it: who tried what, and why not. Recorded so the
/// trail shows attempts as well as changes (a subject officer trying to close his own case, above all).
/// </summary>
public sealed record CustodyCommandRefused
{
    public required Guid CaseId { get; init; }

    /// <summary>The person who asked.</summary>
    public required string Actor { get; init; }

    /// <summary>The step asked for, e.g. "resolved", "handoff-requested".</summary>
    public required string Command { get; init; }

    /// <summary>The rule's code, e.g. "not-permitted", "actor-conflicted"; "not-visible" when the case was withheld (need-to-know).</summary>
    public required string Code { get; init; }

    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }
}
