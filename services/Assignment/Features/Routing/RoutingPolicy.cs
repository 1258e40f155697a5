using Accountability.Assignment.Features.Custody;
using Accountability.Assignment.Features.Directory;

namespace Accountability.Assignment.Features.Routing;

/// <summary>Where a new complaint goes: a unit by the routing rules, then a person in it. Null PersonId: the unit holds it.</summary>
public sealed record RoutingChoice(string UnitId, string? PersonId, string Reason);

public static class RoutingPolicy
{
    private const string InvestigatorRole = "investigator";

    /// <summary>
    /// When the subject officers named by a complainant exclude more than this share of a unit's
    /// investigators, the case stays with internal affairs: otherwise a complainant could choose who
    /// investigates by naming everyone else.
    /// </summary>
    public const double MaxExcludedShare = 0.5;

    /// <summary>
    /// The rules pick the unit; the eligible investigator with the fewest open cases gets it. Subject
    /// officers and everyone in their chain of command are never eligible (<see cref="ConflictOfInterest"/>).
    /// If nobody is, the unit's commander takes it; if the commander is conflicted or inactive too,
    /// internal-affairs command takes it, never the subject's unit. It never goes to nobody: when even
    /// internal affairs is conflicted, the choice is null and the intake desk keeps the case for a person to route.
    /// </summary>
    public static RoutingChoice? Choose(
        OrgChart chart, string category, string? district, IReadOnlyList<string> subjectBadges,
        IReadOnlyDictionary<string, int> openCasesByPerson)
    {
        var rule = chart.RuleFor(category, district);
        var unitId = rule?.UnitId ?? chart.IntakeDeskUnitId;
        var ruleText = rule is null ? "no routing rule matched" : $"rule {rule.Category} × district {rule.District}";
        var view = new OrgChartDirectoryView(chart);
        var conflicts = new ConflictOfInterest(view, subjectBadges);

        var investigators = Investigators(chart, unitId).ToList();
        var eligible = investigators.Where(p => !conflicts.IsConflicted(p.Id)).ToList();
        var excluded = investigators.Count - eligible.Count;
        var internalAffairs = view.InternalAffairsUnitId;
        if (internalAffairs is not null && unitId != internalAffairs && investigators.Count > 0
            && (double)excluded / investigators.Count > MaxExcludedShare)
            return InternalAffairs(chart, internalAffairs, conflicts, openCasesByPerson,
                $"Routing {ruleText} would have gone to {unitId}, but the subject officers named exclude {excluded} of its {investigators.Count} investigators; internal affairs keeps it");

        var chosen = eligible
            .OrderBy(p => openCasesByPerson.GetValueOrDefault(p.Id))
            .ThenBy(p => p.Id, StringComparer.Ordinal)
            .FirstOrDefault();
        if (chosen is not null)
            return new RoutingChoice(unitId, chosen.Id,
                $"Routed by {ruleText}; investigator with the fewest open cases ({openCasesByPerson.GetValueOrDefault(chosen.Id)}).");

        if (chart.CommanderOf(unitId) is { Active: true } commander && !conflicts.IsConflicted(commander.Id))
            return new RoutingChoice(unitId, commander.Id, $"Routed by {ruleText}; no eligible investigator, so the unit commander.");

        return internalAffairs is null
            ? null
            : InternalAffairs(chart, internalAffairs, conflicts, openCasesByPerson, $"Routed by {ruleText}; nobody in {unitId} is eligible, so internal affairs");
    }

    /// <summary>Everyone whose open cases the router weighs: the unit's investigators and commander, and internal affairs'.</summary>
    public static IEnumerable<string> Candidates(OrgChart chart, string unitId)
    {
        var internalAffairs = new OrgChartDirectoryView(chart).InternalAffairsUnitId;
        return new[] { unitId, internalAffairs }.OfType<string>().Distinct()
            .SelectMany(id => Investigators(chart, id).Select(p => p.Id).Append(chart.CommanderOf(id)?.Id ?? ""));
    }

    private static IEnumerable<Contracts.Directory.OrgPerson> Investigators(OrgChart chart, string unitId) =>
        chart.Members(unitId).Where(p => p.Active && p.Roles.Contains(InvestigatorRole));

    private static RoutingChoice? InternalAffairs(OrgChart chart, string unitId, ConflictOfInterest conflicts,
        IReadOnlyDictionary<string, int> openCasesByPerson, string why)
    {
        var chosen = Investigators(chart, unitId).Where(p => !conflicts.IsConflicted(p.Id))
            .OrderBy(p => openCasesByPerson.GetValueOrDefault(p.Id))
            .ThenBy(p => p.Id, StringComparer.Ordinal)
            .FirstOrDefault();
        if (chosen is not null)
            return new RoutingChoice(unitId, chosen.Id, $"{why}: investigator with the fewest open cases ({openCasesByPerson.GetValueOrDefault(chosen.Id)}).");
        return conflicts.InternalAffairsCommand() is { } command
            ? new RoutingChoice(unitId, command.IsPerson ? command.Id : null, $"{why}: no eligible investigator, so internal-affairs command.")
            : null;
    }
}
