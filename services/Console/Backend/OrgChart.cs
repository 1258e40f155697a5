using Accountability.Contracts.Directory;

namespace Accountability.Console.Backend;

/// <summary>The org directory as the pages need it: names for ids, and who and what lies below a person.</summary>
public sealed class OrgChart(DirectoryDto source)
{
    private readonly Dictionary<string, OrgPerson> people = source.Directory.People.ToDictionary(p => p.Id);
    private readonly Dictionary<string, OrgUnit> units = source.Directory.Units.ToDictionary(u => u.Id);

    public long Version => source.Version;

    public IReadOnlyList<OrgPerson> People => source.Directory.People;

    public IReadOnlyList<OrgUnit> Units => source.Directory.Units;

    public OrgPerson? Person(string? id) => id is not null && people.TryGetValue(id, out var person) ? person : null;

    public OrgUnit? Unit(string? id) => id is not null && units.TryGetValue(id, out var unit) ? unit : null;

    public string PersonName(string? id) => Person(id)?.Name ?? id ?? "";

    /// <summary>The name of the person who carries a badge (badges compare ignoring case), or null.</summary>
    public string? PersonByBadge(string badge) =>
        People.FirstOrDefault(person => string.Equals(person.Badge, badge, StringComparison.OrdinalIgnoreCase))?.Name;

    public string UnitName(string? id) => Unit(id)?.Name ?? id ?? "";

    /// <summary>"Laura Kim (Internal Affairs Division)" for a person, the unit's name for a unit.</summary>
    public string OwnerLabel(string kind, string id) => kind == "person"
        ? Person(id) is { } person ? $"{person.Name} ({UnitName(person.UnitId)})" : id
        : Unit(id) is { } unit ? $"{unit.Name} (unit)" : id;

    /// <summary>
    /// Who the handoff list offers: active people who can work a case (investigators, supervisors, commanders),
    /// never the one asking, and never a subject officer or anyone above one (the service refuses them anyway,
    /// but the list should not suggest them). Subjects are known only to those who see the allegations.
    /// </summary>
    public IEnumerable<OrgPerson> EligibleReceivers(string me, IEnumerable<string> subjectBadges)
    {
        var conflicted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var badge in subjectBadges.Where(b => !string.IsNullOrEmpty(b)))
            for (var current = people.Values.FirstOrDefault(p => string.Equals(p.Badge, badge, StringComparison.OrdinalIgnoreCase));
                 current is not null && conflicted.Add(current.Id);)
                current = current.SupervisorId is { } up ? Person(up) : null;
        return people.Values
            .Where(p => p.Active && p.Id != me && !conflicted.Contains(p.Id)
                        && p.Roles.Any(role => role is "investigator" or "supervisor" or "commander"))
            .OrderBy(p => p.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// Internal-affairs command, as assignment reckons it: the internal-affairs unit's commander and its members with the
    /// commander role. The console only offers them the confidentiality form; assignment decides.
    /// </summary>
    public bool IsInternalAffairsCommand(string personId) =>
        Units.Any(unit => unit.Kind == "internal-affairs"
            && (unit.CommanderId == personId || Person(personId) is { } person && person.UnitId == unit.Id && person.Roles.Contains("commander")));

    /// <summary>The units a person commands, and every unit below those.</summary>
    public IReadOnlySet<string> UnitsCommandedBy(string personId)
    {
        var result = new HashSet<string>();
        var frontier = new Queue<string>(units.Values.Where(u => u.CommanderId == personId).Select(u => u.Id));
        while (frontier.TryDequeue(out var unitId))
            if (result.Add(unitId))
                foreach (var child in units.Values.Where(u => u.ParentUnitId == unitId))
                    frontier.Enqueue(child.Id);
        return result;
    }

    /// <summary>Everyone whose chain of command runs through this person, and everyone in the units they command.</summary>
    public IReadOnlySet<string> PeopleBelow(string personId)
    {
        var commanded = UnitsCommandedBy(personId);
        var result = new HashSet<string>();
        foreach (var person in people.Values)
        {
            if (person.Id == personId)
                continue;
            if (commanded.Contains(person.UnitId) || ReportsTo(person, personId))
                result.Add(person.Id);
        }
        return result;
    }

    /// <summary>The units a supervisor watches: those they command and those of the people below them.</summary>
    public IReadOnlySet<string> UnitsBelow(string personId)
    {
        var result = new HashSet<string>(UnitsCommandedBy(personId));
        foreach (var id in PeopleBelow(personId))
            result.Add(people[id].UnitId);
        return result;
    }

    private bool ReportsTo(OrgPerson person, string supervisorId)
    {
        var seen = new HashSet<string>();
        for (var next = person.SupervisorId; next is not null && seen.Add(next); next = Person(next)?.SupervisorId)
            if (next == supervisorId)
                return true;
        return false;
    }
}
