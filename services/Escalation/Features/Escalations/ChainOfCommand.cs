using Accountability.Contracts.Directory;

namespace Accountability.Escalation.Features.Escalations;

/// <summary>
/// Who is next above an owner. Pure, over one version of the org directory: a person's supervisor,
/// a unit's commander; inactive people are passed over, and the top of the chain has nobody above.
/// For one case (<see cref="ForCase"/>) it also knows the subject officers: a subject, and everyone above
/// a subject, is never a level to escalate to, and may not pause the case's clock (conflict of interest).
/// </summary>
public sealed class ChainOfCommand
{
    private readonly OrgDirectory directory;
    private readonly Dictionary<string, OrgPerson> people;
    private readonly Dictionary<string, OrgUnit> units;
    private readonly HashSet<string> conflicted = new(StringComparer.Ordinal);

    public ChainOfCommand(OrgDirectory directory, IEnumerable<string>? subjectBadges = null)
    {
        this.directory = directory;
        people = directory.People.ToDictionary(p => p.Id);
        units = directory.Units.ToDictionary(u => u.Id);
        foreach (var badge in subjectBadges ?? [])
        {
            var subject = directory.People.FirstOrDefault(p => string.Equals(p.Badge, badge, StringComparison.OrdinalIgnoreCase));
            for (var current = subject; current is not null && conflicted.Add(current.Id);)
                current = current.SupervisorId is { } up ? people.GetValueOrDefault(up) : null;
        }
    }

    /// <summary>The same chain, for a case with these subject officers.</summary>
    public ChainOfCommand ForCase(IEnumerable<string> subjectBadges) => new(directory, subjectBadges);

    /// <summary>A subject officer of the case, or above one.</summary>
    public bool IsConflicted(string personId) => conflicted.Contains(personId);

    /// <summary>The internal-affairs unit's commander, or a member of it with the commander role.</summary>
    public bool IsInternalAffairsCommand(string personId) =>
        people.TryGetValue(personId, out var person)
        && units.Values.Any(unit => unit.Kind == "internal-affairs" && (unit.CommanderId == personId || (person.UnitId == unit.Id && person.Roles.Contains("commander"))));

    /// <summary>Why the actor may not pause or resume this case's statutory clock; null when they may.</summary>
    public StatutoryAuthority StatutoryAuthority(string actor, string? ownerKind, string? ownerId)
    {
        if (!people.TryGetValue(actor, out var person) || !person.Active)
            return Escalations.StatutoryAuthority.NotAPerson;
        if (IsConflicted(actor))
            return Escalations.StatutoryAuthority.Conflicted;
        if (IsInternalAffairsCommand(actor))
            return Escalations.StatutoryAuthority.Allowed;
        var chain = new List<string>();
        var start = ownerKind == "unit" ? units.GetValueOrDefault(ownerId ?? "")?.CommanderId : people.GetValueOrDefault(ownerId ?? "")?.SupervisorId;
        for (var current = start; current is not null && !chain.Contains(current);)
        {
            chain.Add(current);
            current = people.GetValueOrDefault(current)?.SupervisorId;
        }
        return chain.Contains(actor) ? Escalations.StatutoryAuthority.Allowed : Escalations.StatutoryAuthority.NoRelationship;
    }

    public OrgPerson? FindPerson(string id) => people.GetValueOrDefault(id);

    /// <summary>The person an allegation names by badge; null for an unknown badge.</summary>
    public OrgPerson? FindByBadge(string badge) =>
        directory.People.FirstOrDefault(p => string.Equals(p.Badge, badge, StringComparison.OrdinalIgnoreCase));

    /// <summary>The active people above a person, nearest first (inactive ones are passed over, a cycle stops it).</summary>
    public IReadOnlyList<string> SupervisorsOf(string personId)
    {
        var chain = new List<string>();
        var seen = new HashSet<string> { personId };
        for (var current = people.GetValueOrDefault(personId)?.SupervisorId; current is not null && seen.Add(current);)
        {
            if (!people.TryGetValue(current, out var person))
                break;
            if (person.Active)
                chain.Add(person.Id);
            current = person.SupervisorId;
        }
        return chain;
    }

    /// <summary>Every active member of internal-affairs command, commanders of the unit first.</summary>
    public IReadOnlyList<string> InternalAffairsCommandIds() =>
        [.. people.Values.Where(p => p.Active && IsInternalAffairsCommand(p.Id))
            .OrderBy(p => units.Values.Any(u => u.CommanderId == p.Id) ? 0 : 1).ThenBy(p => p.Id, StringComparer.Ordinal).Select(p => p.Id)];

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
        var above = AboveIgnoringConflicts(ownerKind, ownerId);
        // Everyone above a conflicted person is conflicted too: the case goes to internal-affairs command.
        return above is null || !IsConflicted(above) ? above : InternalAffairsCommand();
    }

    private string? InternalAffairsCommand() =>
        people.Values.Where(p => p.Active && !IsConflicted(p.Id) && IsInternalAffairsCommand(p.Id))
            .OrderBy(p => units.Values.Any(u => u.CommanderId == p.Id) ? 0 : 1).ThenBy(p => p.Id, StringComparer.Ordinal)
            .FirstOrDefault()?.Id;

    private string? AboveIgnoringConflicts(string ownerKind, string ownerId)
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

/// <summary>Whether someone may pause or resume a case's statutory clock: a relationship to the case, not just a role.</summary>
public enum StatutoryAuthority
{
    Allowed,

    /// <summary>Unknown or inactive in the directory.</summary>
    NotAPerson,

    /// <summary>A subject officer, or above one: answered as if the case did not exist.</summary>
    Conflicted,

    /// <summary>Neither in the owner's chain of command nor internal-affairs command.</summary>
    NoRelationship,
}
