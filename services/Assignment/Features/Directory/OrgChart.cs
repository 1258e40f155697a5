using System.Collections.Frozen;
using System.Collections.Immutable;
using Accountability.Contracts.Directory;

namespace Accountability.Assignment.Features.Directory;

/// <summary>
/// An immutable, indexed view of a valid directory, for routing and custody rules.
/// Unknown ids are not errors here: they mean "no such person or unit" (null, empty, or not active).
/// </summary>
public sealed class OrgChart
{
    private readonly FrozenDictionary<string, OrgPerson> _peopleById;
    private readonly FrozenDictionary<string, OrgPerson> _peopleByBadge;
    private readonly FrozenDictionary<string, OrgUnit> _unitsById;
    private readonly FrozenDictionary<string, ImmutableArray<OrgPerson>> _chainOfCommand;
    private readonly FrozenDictionary<string, ImmutableArray<OrgPerson>> _members;
    private readonly RoutingTable _routing;

    private OrgChart(OrgDirectory directory)
    {
        Directory = directory;
        People = [.. directory.People];
        Units = [.. directory.Units];
        _peopleById = People.ToFrozenDictionary(person => person.Id, StringComparer.Ordinal);
        _peopleByBadge = People.ToFrozenDictionary(person => person.Badge, StringComparer.OrdinalIgnoreCase);
        _unitsById = Units.ToFrozenDictionary(unit => unit.Id, StringComparer.Ordinal);
        _members = Units.ToFrozenDictionary(
            unit => unit.Id,
            unit => People.Where(person => person.UnitId == unit.Id).ToImmutableArray(),
            StringComparer.Ordinal);
        _chainOfCommand = People.ToFrozenDictionary(person => person.Id, ComputeChainOfCommand, StringComparer.Ordinal);
        _routing = new RoutingTable(directory.RoutingRules);
        Districts = [.. RoutingTable.StandardDistricts.Concat(Units.Select(unit => unit.District).OfType<string>()).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Builds the chart, refusing a directory that does not validate (a chart of a broken directory could loop or mis-route).</summary>
    /// <exception cref="InvalidDirectoryException">The directory has problems; the exception lists them.</exception>
    public static OrgChart From(OrgDirectory directory, string source = "given to OrgChart.From")
    {
        ArgumentNullException.ThrowIfNull(directory);
        var problems = DirectoryValidator.Validate(directory);
        if (problems.Count > 0)
            throw new InvalidDirectoryException(source, problems);
        return new OrgChart(directory);
    }

    public OrgDirectory Directory { get; }

    public string Department => Directory.Department;

    /// <summary>The unit that owns every case from receipt until routing moves it.</summary>
    public string IntakeDeskUnitId => Directory.IntakeDeskUnitId;

    public ImmutableArray<OrgPerson> People { get; }

    public ImmutableArray<OrgUnit> Units { get; }

    /// <summary>Every district that routing covers: "1" to "5", then any other a unit declares.</summary>
    public ImmutableArray<string> Districts { get; }

    public OrgPerson? FindPerson(string personId) => _peopleById.GetValueOrDefault(personId);

    /// <summary>Badges are matched ignoring case.</summary>
    public OrgPerson? FindPersonByBadge(string badge) => _peopleByBadge.GetValueOrDefault(badge);

    public OrgUnit? FindUnit(string unitId) => _unitsById.GetValueOrDefault(unitId);

    /// <summary>The person's supervisor, their supervisor, and so on up to the chief; excludes the person. Inactive people are included: skipping them is the caller's policy.</summary>
    public ImmutableArray<OrgPerson> ChainOfCommand(string personId) =>
        _chainOfCommand.GetValueOrDefault(personId, []);

    /// <summary>The rule that routes the pair (the most specific one), or null when none does.</summary>
    public RoutingRule? RuleFor(string category, string? district) => _routing.Resolve(category, district);

    /// <summary>
    /// The unit that investigates the category in the district, or null when no rule matches
    /// (possible only for a district outside <see cref="Districts"/>, e.g. unknown); the case then stays with the intake desk.
    /// </summary>
    public string? Route(string category, string? district) => RuleFor(category, district)?.UnitId;

    /// <summary>The people whose unit it is, in directory order, active or not.</summary>
    public ImmutableArray<OrgPerson> Members(string unitId) => _members.GetValueOrDefault(unitId, []);

    public OrgPerson? CommanderOf(string unitId) =>
        FindUnit(unitId) is { } unit ? FindPerson(unit.CommanderId) : null;

    /// <summary>False for an unknown id: nobody can hand a case to a person who is not in the directory.</summary>
    public bool IsActive(string personId) => FindPerson(personId)?.Active ?? false;

    // Terminates because the validator has ruled out cycles and unknown supervisors.
    private ImmutableArray<OrgPerson> ComputeChainOfCommand(OrgPerson person)
    {
        var chain = ImmutableArray.CreateBuilder<OrgPerson>();
        for (var supervisorId = person.SupervisorId; supervisorId is not null;)
        {
            var supervisor = _peopleById[supervisorId];
            chain.Add(supervisor);
            supervisorId = supervisor.SupervisorId;
        }

        return chain.ToImmutable();
    }
}
