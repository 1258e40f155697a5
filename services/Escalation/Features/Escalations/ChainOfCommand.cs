using Accountability.Contracts.Directory;

namespace Accountability.Escalation.Features.Escalations;

/// <summary>
/// Who is next above an owner. Pure, over one version of the org directory: a person's supervisor,
/// a unit's commander; inactive people are passed over, and the top of the chain has nobody above.
/// </summary>
public sealed class ChainOfCommand(OrgDirectory directory)
{
    private readonly Dictionary<string, OrgPerson> people = directory.People.ToDictionary(p => p.Id);
    private readonly Dictionary<string, OrgUnit> units = directory.Units.ToDictionary(u => u.Id);

    public OrgPerson? FindPerson(string id) => people.GetValueOrDefault(id);

    public OrgUnit? FindUnit(string id) => units.GetValueOrDefault(id);

    /// <summary>Known and active: a person who can hold a case, or a unit that exists.</summary>
    public bool IsActiveOwner(string kind, string id) => kind switch
    {
        "person" => people.TryGetValue(id, out var person) && person.Active,
        "unit" => units.ContainsKey(id),
        _ => false,
    };

    /// <summary>
    /// The first active person above the owner: for a person, up the supervisor chain; for a unit,
    /// its commander (or, if the commander is inactive, the commander's chain). Null at the top.
    /// </summary>
    public string? Above(string ownerKind, string ownerId)
    {
        if (ownerKind == "unit")
        {
            if (!units.TryGetValue(ownerId, out var unit))
                return null;
            return people.TryGetValue(unit.CommanderId, out var commander) && commander.Active
                ? commander.Id
                : FirstActiveAbove(unit.CommanderId);
        }
        return FirstActiveAbove(ownerId);
    }

    /// <summary>The top of the chain: the active person with nobody above, for a case whose owner cannot be placed at all.</summary>
    public string? Top() => people.Values.Where(p => p.Active && p.SupervisorId is null).OrderBy(p => p.Id, StringComparer.Ordinal).FirstOrDefault()?.Id;

    private string? FirstActiveAbove(string personId)
    {
        var seen = new HashSet<string> { personId };
        var current = people.GetValueOrDefault(personId)?.SupervisorId;
        // The seen set guards against a cycle in a hand-edited directory.
        while (current is not null && seen.Add(current))
        {
            if (people.TryGetValue(current, out var person))
            {
                if (person.Active)
                    return person.Id;
                current = person.SupervisorId;
            }
            else
                return null;
        }
        return null;
    }
}
