namespace Accountability.Contracts.Custody;

/// <summary>The finding on one allegation at resolution.</summary>
public sealed record AllegationFinding
{
    public required string AllegationId { get; init; }

    /// <summary>sustained, not-sustained, exonerated, unfounded, policy-failure or withdrawn.</summary>
    public required string Finding { get; init; }

    /// <summary>
    /// The allegation's kind (force, discourtesy, ...), so a reader that never saw an allegation added during the
    /// investigation can still name it, as the complainant's outcome page does. Absent on older messages.
    /// </summary>
    public string? AllegationType { get; init; }
}
