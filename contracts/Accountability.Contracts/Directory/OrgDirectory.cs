namespace Accountability.Contracts.Directory;

/// <summary>The whole org chart as deploy/org/directory.json holds it and DirectoryPublished carries it.</summary>
public sealed record OrgDirectory
{
    public required string Department { get; init; }

    /// <summary>The unit that owns every case from receipt until routing moves it.</summary>
    public required string IntakeDeskUnitId { get; init; }

    public required IReadOnlyList<OrgUnit> Units { get; init; }
    public required IReadOnlyList<OrgPerson> People { get; init; }
    public required IReadOnlyList<RoutingRule> RoutingRules { get; init; }
}
