namespace Accountability.Contracts.EarlyWarning;

/// <summary>
/// An officer's record crossed an early-intervention threshold policy. Raised once per crossing: a second
/// crossing of the same policy inside the window of the first raises nothing. Replaying the same events
/// gives the same warnings at the same instants: <see cref="WarningId"/> and <see cref="OccurredAt"/> come
/// from the events that counted, never from the wall clock.
/// </summary>
public sealed record EarlyWarningRaised
{
    /// <summary>Derived from (badge, policy id, version, instant), so a replay names the same warning.</summary>
    public required Guid WarningId { get; init; }

    /// <summary>The officer, by badge, as allegations name him.</summary>
    public required string OfficerBadge { get; init; }

    /// <summary>The officer's person id in the directory; null when the badge is not in it.</summary>
    public string? OfficerPersonId { get; init; }

    public required string PolicyId { get; init; }
    public required int PolicyVersion { get; init; }

    /// <summary>complaints, allegations or finding.</summary>
    public required string PolicyKind { get; init; }

    /// <summary>What was crossed, in words a supervisor can act on; names no case.</summary>
    public required string Reason { get; init; }

    /// <summary>The instant of the event that made the count reach the threshold.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The start of the window counted back from <see cref="OccurredAt"/>; equal to it for a finding policy.</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>The cases that counted, oldest first.</summary>
    public required IReadOnlyList<EarlyWarningCase> Cases { get; init; }

    /// <summary>The officer's supervisors, nearest first, who are told; never the officer or a subject of a counted case.</summary>
    public required IReadOnlyList<string> SupervisorChain { get; init; }

    /// <summary>Internal-affairs command, who are told too (the same exclusions apply).</summary>
    public required IReadOnlyList<string> InternalAffairsCommand { get; init; }

    /// <summary>"system:escalation".</summary>
    public required string Actor { get; init; }
}
