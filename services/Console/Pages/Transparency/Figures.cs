using System.Globalization;
using Accountability.Console.Backend;

namespace Accountability.Console.Pages.Transparency;

/// <summary>One bar of a chart and one row of its table.</summary>
public sealed record Bar(string Label, FigureCell Cell);

/// <summary>A bar chart with the table of its data beside it. <see cref="Unit"/> is how a value reads: "complaints", "days", "%".</summary>
public sealed record BarChart(string Id, string Title, string Explanation, string Unit, IReadOnlyList<Bar> Bars)
{
    public double Max => Math.Max(1, Bars.Max(b => b.Cell.Value ?? 0));

    public string Text(FigureCell cell) => Figures.Text(cell, Unit);
}

/// <summary>Turns audit's figures into charts in plain words; shared by the public page and the staff dashboard.</summary>
public static class Figures
{
    public const string FewerThanFive = "fewer than 5";

    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");

    public const string WithheldText = "withheld";

    public static string Text(FigureCell cell, string unit) => cell.Withheld ? WithheldText
        : cell.Suppressed || cell.Value is null
        ? FewerThanFive + (unit == "complaints" ? "" : unit == "answers" ? "" : " cases")
        : unit == "%" ? $"{cell.Value.Value.ToString("0", English)}%"
        : unit == "days" ? $"{cell.Value.Value.ToString("0.#", English)} {(cell.Value.Value == 1 ? "day" : "days")}"
        : cell.Value.Value.ToString("#,0", English);

    public static string MonthName(string month) =>
        DateTime.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var m) ? m.ToString("MMMM yyyy", English) : month;

    public static string ShortMonth(string month) =>
        DateTime.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var m) ? m.ToString("MMM yyyy", English) : month;

    public static string CategoryName(string category) => Shared.ComplaintFiling.CategoryLabel(category).Split(':')[0];

    public static string FindingName(string finding) => finding switch
    {
        "sustained" => "Sustained (the officer did wrong)",
        "not-sustained" => "Not sustained (not enough evidence)",
        "exonerated" => "Exonerated (it happened, but was lawful)",
        "unfounded" => "Unfounded (it did not happen)",
        "policy-failure" => "Policy failure (the rules must change)",
        "withdrawn" => "Withdrawn",
        _ => finding,
    };

    public static string StepName(string key) => key switch
    {
        "acknowledge" => "acknowledge the complaint",
        "first-contact" => "first speak with the person who complained",
        "resolve" or "resolution" => "finish the investigation",
        _ => key,
    };

    public static IReadOnlyList<BarChart> Charts(TransparencyDto f)
    {
        var charts = new List<BarChart>();
        var column = f.Category is null ? -1 : f.Received.Columns.IndexOf(f.Category);
        var scope = f.Category is null ? "" : $" ({CategoryName(f.Category).ToLowerInvariant()})";
        charts.Add(new("received-by-month", $"Complaints received each month{scope}", "How many complaints reached us in each month.", "complaints",
            [.. f.Months.Select((m, i) => new Bar(ShortMonth(m), column < 0 ? f.Received.RowTotals[i] : f.Received.Cells[i][column]))]));
        charts.Add(new("received-by-kind", "Complaints received, by kind", $"All complaints from {MonthName(f.From)} to {MonthName(f.To)}, by what they were about.", "complaints",
            [.. f.Categories.Select((c, j) => new Bar(CategoryName(c), f.Received.ColumnTotals[j]))]));
        foreach (var series in f.MedianDays)
            charts.Add(new($"median-{series.Key}", $"Days to {StepName(series.Key)}",
                $"For complaints received each month{scope}: the typical (median) number of days it took to {StepName(series.Key)}.", "days",
                [.. f.Months.Select((m, i) => new Bar(ShortMonth(m), series.ByMonth[i]))]));
        foreach (var series in f.WithinDeadline)
            charts.Add(new($"within-{series.Key}", $"On time: {StepName(series.Key)}",
                $"For complaints received each month{scope}: the share where we managed to {StepName(series.Key)} within our deadline.", "%",
                [.. f.Months.Select((m, i) => new Bar(ShortMonth(m), series.ByMonth[i]))]));
        charts.Add(new("findings", "What investigations found",
            "Each complaint can name several things an officer did; this counts each one by its finding, for every kind of complaint.", "complaints",
            [.. f.Findings.Columns.Select((k, j) => new Bar(FindingName(k), f.Findings.ColumnTotals[j]))]));
        charts.Add(new("escalated", $"Complaints passed up the chain of command{scope}",
            "Complaints where a deadline was missed and a senior officer was told to step in.", "complaints",
            [.. f.Months.Select((m, i) => new Bar(ShortMonth(m), column < 0 ? f.Escalated.RowTotals[i] : f.Escalated.Cells[i][column]))]));
        if (f.Satisfaction is { } satisfaction)
            charts.Add(new("satisfaction", "People satisfied with how their complaint was handled",
                "After a complaint is finished we ask the person who made it. This is the share who said satisfied or very satisfied, by the unit that handled it.", "%",
                [.. satisfaction.UnitNames.Select((u, i) => new Bar(u, satisfaction.ShareSatisfied[i]))]));
        return charts;
    }
}
