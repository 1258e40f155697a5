namespace Accountability.Contracts.Escalation;

/// <summary>
/// A new version of an SLA policy was stored. Versions are only ever added, never changed; this puts each
/// one in the trail, so an auditor can tell which deadlines a case was held to and who set them.
/// </summary>
public sealed record SlaPolicyVersionAdded
{
    public required string Category { get; init; }
    public required string Priority { get; init; }
    public required int Version { get; init; }

    /// <summary>Cases received from this instant on use this version.</summary>
    public required DateTimeOffset EffectiveFrom { get; init; }

    /// <summary>Each clock's budget, e.g. "acknowledge" → "4 business-hours".</summary>
    public required IReadOnlyDictionary<string, string> Clocks { get; init; }

    /// <summary>Warnings at these percentages of each budget.</summary>
    public required IReadOnlyList<int> WarnAtPercent { get; init; }

    /// <summary>The person id who added it, or "system:defaults" for the defaults seeded at the first start.</summary>
    public required string Actor { get; init; }

    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }
}
