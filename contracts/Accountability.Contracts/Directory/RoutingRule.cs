namespace Accountability.Contracts.Directory;

/// <summary>Category × district → the unit that investigates. "*" matches any; the most specific rule wins.</summary>
public sealed record RoutingRule
{
    public required string Category { get; init; }
    public required string District { get; init; }
    public required string UnitId { get; init; }
}
