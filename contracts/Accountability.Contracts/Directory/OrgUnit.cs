namespace Accountability.Contracts.Directory;

/// <summary>A unit of the department: the intake desk, a patrol district, internal affairs, ...</summary>
public sealed record OrgUnit
{
    public required string Id { get; init; }
    public required string Name { get; init; }

    /// <summary>intake, patrol, internal-affairs, professional-standards or command.</summary>
    public required string Kind { get; init; }

    /// <summary>The district a patrol unit serves ("1" to "5"); null for department-wide units.</summary>
    public string? District { get; init; }

    public string? ParentUnitId { get; init; }

    /// <summary>The person who commands the unit: the owner of last resort for its cases.</summary>
    public required string CommanderId { get; init; }
}
