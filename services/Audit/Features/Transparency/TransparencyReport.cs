using System.Globalization;
using Accountability.Contracts.Escalation;
using Accountability.Contracts.Intake;

namespace Accountability.Audit.Features.Transparency;

/// <summary>A median or a share per month and overall; hidden where fewer than five cases went into it.</summary>
public sealed record FigureSeries(string Key, IReadOnlyList<Cell> ByMonth, IReadOnlyList<Cell> ByCategory, Cell Overall);

/// <summary>
/// The published figures for the complaints received in a window of months, all by the month of receipt (a cohort:
/// "of the complaints received in March, how long until ..."), optionally for one category or one unit.
/// </summary>
public sealed record TransparencyReport
{
    public required string From { get; init; }
    public required string To { get; init; }
    public string? Category { get; init; }
    public string? Unit { get; init; }
    public required int Threshold { get; init; }
    /// <summary>
    /// No complaint at all in the window (for a unit: none of the unit's). Said only of the whole table, never of a
    /// category: a category known to be empty would turn its hidden zeros into known ones, and a row's other hidden
    /// cell could then be worked out.
    /// </summary>
    public required bool Empty { get; init; }

    public required IReadOnlyList<string> Months { get; init; }
    public required IReadOnlyList<string> Categories { get; init; }

    /// <summary>Complaints received, month × category.</summary>
    public required CountTable Received { get; init; }

    /// <summary>Complaints escalated up the chain of command at least once, month × category.</summary>
    public required CountTable Escalated { get; init; }

    /// <summary>Allegations of resolved complaints by finding, month × finding, over every category.</summary>
    public required CountTable Findings { get; init; }

    /// <summary>Median days from receipt to acknowledgement, to first contact with the complainant, to resolution.</summary>
    public required IReadOnlyList<FigureSeries> MedianDays { get; init; }

    /// <summary>Share (percent) of the cases whose clock ended within its deadline, per clock.</summary>
    public required IReadOnlyList<FigureSeries> WithinDeadline { get; init; }

    /// <summary>Complainants' answers by unit × satisfied / neither / dissatisfied; null when nobody has answered yet.</summary>
    public CountTable? Satisfaction { get; init; }

    /// <summary>Share satisfied (4 or 5 of 5) per unit, computed only from published counts.</summary>
    public IReadOnlyList<Cell> ShareSatisfied { get; init; } = [];

    public IReadOnlyDictionary<string, string> UnitNames { get; init; } = new Dictionary<string, string>();
}

public static class TransparencyReportBuilder
{
    public static readonly IReadOnlyList<string> FindingKinds = ["sustained", "not-sustained", "exonerated", "unfounded", "policy-failure", "withdrawn"];
    public static readonly IReadOnlyList<string> SatisfactionBands = ["satisfied", "neither", "dissatisfied"];
    public static readonly IReadOnlyList<string> MedianMeasures = ["acknowledge", "first-contact", "resolve"];
    public static readonly IReadOnlyList<string> Clocks = [SlaClocks.Acknowledge, SlaClocks.FirstContact, SlaClocks.Resolution];

    public static string MonthKey(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>
    /// The months from <paramref name="from"/> to <paramref name="to"/> inclusive (first days of month, UTC).
    /// </summary>
    public static IReadOnlyList<string> MonthsBetween(DateTimeOffset from, DateTimeOffset to)
    {
        var months = new List<string>();
        for (var m = from; m <= to; m = m.AddMonths(1))
            months.Add(MonthKey(m));
        return months;
    }

    /// <param name="facts">Every case received in the window (all categories and units: the tables are suppressed whole, then filtered).</param>
    public static TransparencyReport Build(
        IReadOnlyList<CaseFacts> facts, DateTimeOffset fromMonth, DateTimeOffset toMonth, string? category, string? unit,
        IReadOnlyDictionary<string, string> unitNames, int threshold = SmallCells.Threshold)
    {
        var months = MonthsBetween(fromMonth, toMonth);
        var monthIndex = months.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        var categories = ComplaintCategories.All;
        // A unit's dashboard is a department of its own: its tables are suppressed over its cases alone.
        var scope = unit is null ? facts : [.. facts.Where(f => f.UnitId == unit)];
        var inCategory = category is null ? scope : [.. scope.Where(f => f.Category == category)];

        long[,] ByMonthAndCategory(Func<CaseFacts, bool> counted)
        {
            var counts = new long[months.Count, categories.Count];
            foreach (var f in scope.Where(counted))
            {
                var c = Index(categories, f.Category);
                if (monthIndex.TryGetValue(MonthKey(f.ReceivedAt), out var m) && c >= 0)
                    counts[m, c]++;
            }
            return counts;
        }

        // Over every category, never one: a category's findings beside the department's would difference to the others'.
        var findings = new long[months.Count, FindingKinds.Count];
        foreach (var f in scope)
            foreach (var finding in f.Findings)
                if (monthIndex.TryGetValue(MonthKey(f.ReceivedAt), out var m) && Index(FindingKinds, finding) is var k and >= 0)
                    findings[m, k]++;

        var answered = scope.Where(f => f.Satisfaction is not null).ToList();
        CountTable? satisfaction = null;
        IReadOnlyList<Cell> shareSatisfied = [];
        if (answered.Count > 0)
        {
            var units = answered.Select(f => f.SatisfactionUnitId ?? "").Distinct().Order(StringComparer.Ordinal).ToList();
            var counts = new long[units.Count, SatisfactionBands.Count];
            foreach (var f in answered)
                counts[units.IndexOf(f.SatisfactionUnitId ?? ""), f.Satisfaction >= 4 ? 0 : f.Satisfaction == 3 ? 1 : 2]++;
            satisfaction = SmallCells.Suppress(units, SatisfactionBands, counts, threshold);
            var table = satisfaction;
            // A share of a withheld count is withheld too (it may be large); of a small one, it is small.
            shareSatisfied = [.. units.Select((_, i) => table.Cells[i][0] is { Suppressed: false, Value: { } yes } && table.RowTotals[i] is { Suppressed: false, Value: { } all }
                ? SmallCells.Share((long)yes, (long)all, threshold)
                : table.Cells[i][0] is { Suppressed: true, Withheld: false } || table.RowTotals[i] is { Suppressed: true, Withheld: false } ? Cell.Hidden : Cell.Protecting)];
        }

        FigureSeries Series(string key, Func<IEnumerable<CaseFacts>, Cell> figure) => new(key,
            [.. months.Select(m => figure(inCategory.Where(f => MonthKey(f.ReceivedAt) == m)))],
            [.. categories.Select(c => figure(scope.Where(f => f.Category == c)))],
            figure(inCategory));

        static Cell MedianDays(IEnumerable<CaseFacts> cases, Func<CaseFacts, DateTimeOffset?> end, int threshold) =>
            SmallCells.Median([.. cases.Where(f => end(f) is not null).Select(f => (end(f)!.Value - f.ReceivedAt).TotalDays)], threshold);

        // A clock is measured on the cases where it ended: stopped by the step, or breached.
        static Cell Within(IEnumerable<CaseFacts> cases, string clock, int threshold)
        {
            var measured = cases.Where(f => f.BreachedClocks.Contains(clock) || End(f, clock) is not null).ToList();
            return SmallCells.Share(measured.Count(f => !f.BreachedClocks.Contains(clock)), measured.Count, threshold);
        }

        return new TransparencyReport
        {
            From = months[0],
            To = months[^1],
            Category = category,
            Unit = unit,
            Threshold = threshold,
            Empty = scope.Count == 0,
            Months = months,
            Categories = categories,
            Received = SmallCells.Suppress(months, categories, ByMonthAndCategory(_ => true), threshold),
            Escalated = SmallCells.Suppress(months, categories, ByMonthAndCategory(f => f.Escalated), threshold),
            Findings = SmallCells.Suppress(months, FindingKinds, findings, threshold),
            MedianDays = [.. MedianMeasures.Select(measure => Series(measure, cases => MedianDays(cases, f => End(f, measure), threshold)))],
            WithinDeadline = [.. Clocks.Select(clock => Series(clock, cases => Within(cases, clock, threshold)))],
            Satisfaction = satisfaction,
            ShareSatisfied = shareSatisfied,
            UnitNames = unitNames,
        };
    }

    private static DateTimeOffset? End(CaseFacts f, string measure) => measure switch
    {
        "acknowledge" => f.AcknowledgedAt,
        "first-contact" => f.ContactedAt,
        _ => f.ResolvedAt,
    };

    private static int Index(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
            if (list[i] == value)
                return i;
        return -1;
    }
}
