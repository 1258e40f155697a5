using Accountability.Assignment.Features.Directory;

namespace Accountability.Assignment.Features.Routing;

/// <summary>Where a new complaint goes: a unit by the routing rules, then a person in it.</summary>
public sealed record RoutingChoice(string UnitId, string? PersonId, string Reason);

public static class RoutingPolicy
{
    private const string InvestigatorRole = "investigator";

    /// <summary>
    /// The rules pick the unit; the eligible investigator with the fewest open cases gets it. Subject
    /// officers and everyone in their chain of command are never eligible (conflict of interest). If
    /// nobody is, the unit's commander takes it; if even the commander is conflicted or inactive, the
    /// unit itself owns it. It never goes to nobody.
    /// </summary>
    public static RoutingChoice Choose(
        OrgChart chart, string category, string? district, IReadOnlyList<string> subjectBadges,
        IReadOnlyDictionary<string, int> openCasesByPerson)
    {
        var rule = chart.RuleFor(category, district);
        var unitId = rule?.UnitId ?? chart.IntakeDeskUnitId;
        var ruleText = rule is null ? "no routing rule matched" : $"rule {rule.Category} × district {rule.District}";

        var conflicted = new HashSet<string>();
        foreach (var badge in subjectBadges)
        {
            if (chart.FindPersonByBadge(badge) is not { } subject)
                continue;
            conflicted.Add(subject.Id);
            conflicted.UnionWith(chart.ChainOfCommand(subject.Id).Select(p => p.Id));
        }

        var chosen = chart.Members(unitId)
            .Where(p => p.Active && p.Roles.Contains(InvestigatorRole) && !conflicted.Contains(p.Id))
            .OrderBy(p => openCasesByPerson.GetValueOrDefault(p.Id))
            .ThenBy(p => p.Id, StringComparer.Ordinal)
            .FirstOrDefault();
        if (chosen is not null)
            return new RoutingChoice(unitId, chosen.Id,
                $"Routed by {ruleText}; investigator with the fewest open cases ({openCasesByPerson.GetValueOrDefault(chosen.Id)}).");

        if (chart.CommanderOf(unitId) is { Active: true } commander && !conflicted.Contains(commander.Id))
            return new RoutingChoice(unitId, commander.Id, $"Routed by {ruleText}; no eligible investigator, so the unit commander.");

        return new RoutingChoice(unitId, null, $"Routed by {ruleText}; no eligible person, so the unit holds it until its command assigns it.");
    }

    public static IEnumerable<string> Candidates(OrgChart chart, string unitId) =>
        chart.Members(unitId).Where(p => p.Active && p.Roles.Contains(InvestigatorRole)).Select(p => p.Id)
            .Append(chart.CommanderOf(unitId)?.Id ?? "");
}
