namespace Accountability.Contracts.Custody;

/// <summary>The finding on one allegation at resolution.</summary>
public sealed record AllegationFinding
{
    public required string AllegationId { get; init; }

    /// <summary>sustained, not-sustained, exonerated, unfounded, policy-failure or withdrawn.</summary>
    public required string Finding { get; init; }
}
