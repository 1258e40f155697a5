using Accountability.Assignment.Features.Custody;

namespace Accountability.Assignment.Features.Directory;

/// <summary>The custody rules' view of the org chart.</summary>
public sealed class OrgChartDirectoryView(OrgChart chart) : IDirectoryView
{
    private static readonly HashSet<string> UnitActorRoles = ["supervisor", "commander"];

    // Auditors, dispatchers, intake clerks and admins review, move or take cases; they do not work them.
    private static readonly HashSet<string> InvestigatingRoles = ["investigator", "supervisor", "commander"];

    public DirectoryPerson? FindPerson(string personId) =>
        chart.FindPerson(personId) is { } person
            ? new DirectoryPerson(person.Id, person.Badge, person.Active, person.Roles.Any(InvestigatingRoles.Contains))
            : null;

    public string? FindPersonIdByBadge(string badge) => chart.FindPersonByBadge(badge)?.Id;

    public IReadOnlyList<string> ChainOfCommand(string personId) => chart.ChainOfCommand(personId).Select(p => p.Id).ToList();

    public string? UnitCommander(string unitId) => chart.FindUnit(unitId)?.CommanderId;

    public bool IsMemberOfUnit(string personId, string unitId) => chart.FindPerson(personId)?.UnitId == unitId;

    /// <summary>A unit's commander, or a supervisor or commander who is a member of it, may act for it.</summary>
    public bool MayActForUnit(string personId, string unitId) =>
        chart.FindUnit(unitId)?.CommanderId == personId
        || (chart.FindPerson(personId) is { Active: true } person && person.UnitId == unitId && person.Roles.Any(UnitActorRoles.Contains));

    public IReadOnlyList<string> UnitActors(string unitId) =>
        chart.FindUnit(unitId) is not { } unit
            ? []
            : chart.Members(unitId).Where(person => person.Roles.Any(UnitActorRoles.Contains)).Select(person => person.Id)
                .Prepend(unit.CommanderId).Distinct(StringComparer.Ordinal).ToList();

    public string? InternalAffairsUnitId => chart.Units.FirstOrDefault(unit => unit.Kind == UnitKinds.InternalAffairs)?.Id;

    public IReadOnlyList<string> InternalAffairsCommand =>
        InternalAffairsUnitId is not { } unitId
            ? []
            : chart.Members(unitId).Where(person => person.Roles.Contains("commander")).Select(person => person.Id)
                .Prepend(chart.FindUnit(unitId)!.CommanderId).Distinct(StringComparer.Ordinal).ToList();

    public bool DispatchesFor(string personId, string unitId) =>
        chart.FindPerson(personId) is { Active: true } person && person.Roles.Contains("dispatcher") && person.DispatchesFor.Contains(unitId);

    public string? UnitOf(string personId) => chart.FindPerson(personId)?.UnitId;
}
