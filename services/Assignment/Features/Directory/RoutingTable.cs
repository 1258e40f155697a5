using Accountability.Contracts.Directory;

namespace Accountability.Assignment.Features.Directory;

/// <summary>
/// Resolves category × district to a routing rule. The most specific rule wins:
/// exact category + district, then category + "*", then "*" + district, then "*" + "*".
/// </summary>
public sealed class RoutingTable
{
    public const string Any = "*";

    /// <summary>The districts every directory must route, whatever its units declare.</summary>
    public static readonly IReadOnlyList<string> StandardDistricts = ["1", "2", "3", "4", "5"];

    private readonly Dictionary<(string Category, string District), RoutingRule> _rules = [];

    /// <summary>Rules with a missing category, district or unit are skipped; the validator reports them.</summary>
    public RoutingTable(IEnumerable<RoutingRule?> rules)
    {
        foreach (var rule in rules)
        {
            if (rule?.Category is null || rule.District is null || rule.UnitId is null)
                continue;

            // The validator rejects duplicates; if one slips through, the first in file order wins, as a reader would expect.
            _rules.TryAdd((rule.Category, rule.District), rule);
        }
    }

    /// <summary>The rule that routes the pair, or null when none does. A null or empty district matches only "*" rules.</summary>
    public RoutingRule? Resolve(string category, string? district)
    {
        ArgumentNullException.ThrowIfNull(category);
        var hasDistrict = !string.IsNullOrEmpty(district) && district != Any;

        if (hasDistrict && _rules.TryGetValue((category, district!), out var exact))
            return exact;
        if (_rules.TryGetValue((category, Any), out var anyDistrict))
            return anyDistrict;
        if (hasDistrict && _rules.TryGetValue((Any, district!), out var anyCategory))
            return anyCategory;
        return _rules.GetValueOrDefault((Any, Any));
    }
}
