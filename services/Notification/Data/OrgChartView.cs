using Accountability.Contracts.Directory;

namespace Accountability.Notification.Data;

/// <summary>Look-ups over one version of the directory copy.</summary>
public sealed class OrgChartView(long version, OrgDirectory directory)
{
    private readonly Dictionary<string, OrgPerson> people = directory.People.ToDictionary(p => p.Id, StringComparer.Ordinal);
    private readonly Dictionary<string, OrgUnit> units = directory.Units.ToDictionary(u => u.Id, StringComparer.Ordinal);

    public long Version { get; } = version;

    public OrgPerson? Person(string personId) => people.GetValueOrDefault(personId);

    public OrgUnit? Unit(string unitId) => units.GetValueOrDefault(unitId);

    /// <summary>The person who answers for an owner: the person themself, or a unit's commander.</summary>
    public string? AccountablePerson(string ownerKind, string ownerId) =>
        ownerKind == "unit" ? Unit(ownerId)?.CommanderId : ownerId;

    /// <summary>A person's or a unit's display name, falling back to the id.</summary>
    public string NameOf(string ownerKind, string ownerId) =>
        (ownerKind == "unit" ? Unit(ownerId)?.Name : Person(ownerId)?.Name) ?? ownerId;

    /// <summary>The unit responsible for a case held by this owner.</summary>
    public string? UnitOf(string ownerKind, string ownerId) =>
        ownerKind == "unit" ? ownerId : Person(ownerId)?.UnitId;

    /// <summary>The first active person above the owner in the chain of command.</summary>
    public string? SupervisorOf(string ownerKind, string ownerId)
    {
        var start = AccountablePerson(ownerKind, ownerId);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = start is null ? null : Person(start)?.SupervisorId; current is not null && seen.Add(current); current = Person(current)?.SupervisorId)
            if (Person(current) is { Active: true })
                return current;
        return null;
    }
}
