namespace Accountability.Console.Backend;

/// <summary>A published figure from audit's transparency route: Value is null when it was suppressed.</summary>
/// <summary>Reason, when suppressed: "fewer-than-threshold", or "withheld" (hidden only to protect a small figure beside it).</summary>
public sealed record FigureCell(double? Value, bool Suppressed, string? Reason = null)
{
    public bool Withheld => Suppressed && Reason == "withheld";
}

public sealed record FigureTable(
    List<string> Rows, List<string> Columns, List<List<FigureCell>> Cells, List<FigureCell> RowTotals, List<FigureCell> ColumnTotals, FigureCell Total);

public sealed record FigureSeriesDto(string Key, List<FigureCell> ByMonth, List<FigureCell> ByCategory, FigureCell Overall);

public sealed record SatisfactionFigures(FigureTable Table, List<string> UnitNames, List<FigureCell> ShareSatisfied);

public sealed record OpenLoadDto(string? Unit, string UnitName, long Open);

/// <summary>GET /api/public/transparency (and, per unit for staff, /api/transparency/units) of the audit service.</summary>
public sealed record TransparencyDto(
    string From, string To, string? Category, string? Unit, int Threshold, bool Empty, List<string> Months, List<string> Categories,
    FigureTable Received, FigureTable Escalated, FigureTable Findings, List<FigureSeriesDto> MedianDays, List<FigureSeriesDto> WithinDeadline,
    SatisfactionFigures? Satisfaction, List<OpenLoadDto>? OpenLoad);
