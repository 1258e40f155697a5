using System.Globalization;
using System.Text;
using Accountability.ServiceDefaults.Http;
using Accountability.Audit.Data;
using Accountability.Contracts.Intake;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Audit.Features.Transparency;

/// <summary>
/// The transparency figures. They are computed here, in audit, because audit alone already holds every fact they
/// need: its trail records every event of every case (receipt, acknowledgement, first contact, resolution and its
/// findings, routing to a unit, SLA breaches, escalations) and the complainants' satisfaction answers
/// (SatisfactionRecorded), so no other service has to be asked and no service's tables are read.
/// </summary>
public static class TransparencyEndpoints
{
    public const string PublicRateLimit = "public-figures";
    public const int MaxMonths = 36;
    public const string Suppressed = "fewer than 5";

    /// <summary>A figure of any size hidden so that a small one beside it cannot be worked out.</summary>
    public const string Withheld = "withheld";

    public static IServiceCollection AddTransparencyRateLimit(this IServiceCollection services, AuditOptions options) =>
        services.AddClientRateLimit(new(PublicRateLimit, _ => new(options.PublicFiguresPermitLimit, options.PublicFiguresWindow),
            context => ClientAddress(context, options.TrustedProxies)));

    /// <summary>The caller's address; from a trusted proxy, the one address its X-Forwarded-For names (a list is not believed).</summary>
    public static string ClientAddress(HttpContext context, IReadOnlyCollection<string> trustedProxies)
    {
        var remote = context.Connection.RemoteIpAddress;
        var address = remote?.IsIPv4MappedToIPv6 == true ? remote.MapToIPv4().ToString() : remote?.ToString() ?? "unknown";
        if (trustedProxies.Contains(address) && context.Request.Headers["X-Forwarded-For"] is { Count: 1 } forwarded
            && System.Net.IPAddress.TryParse(forwarded[0], out var client))
            return client.ToString();
        return address;
    }

    public static IEndpointRouteBuilder MapTransparencyEndpoints(this IEndpointRouteBuilder app)
    {
        // Anyone: aggregates only, every small count suppressed. No case data, so no access-log entry.
        app.MapGet("/api/public/transparency", (HttpContext http, string? from, string? to, string? category, string? format, AuditDatabase database, TimeProvider clock, CancellationToken ct) =>
                AnswerAsync(http, from, to, category, null, format, database, clock, staff: false, ct))
            .AllowAnonymous().RequireClientRateLimit(PublicRateLimit);

        // Supervisors and commanders: the same figures for one unit's cases, plus the open load of every unit.
        app.MapGet("/api/transparency/units", (HttpContext http, string? from, string? to, string? category, string? unit, string? format, AuditDatabase database, TimeProvider clock, CancellationToken ct) =>
                AnswerAsync(http, from, to, category, unit, format, database, clock, staff: true, ct))
            .RequireAuthorization(policy => policy.RequireRole(Roles.Supervisor, Roles.Commander, Roles.Admin));
        return app;
    }

    private static async Task<IResult> AnswerAsync(
        HttpContext http, string? from, string? to, string? category, string? unit, string? format, AuditDatabase database, TimeProvider clock, bool staff, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var thisMonth = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var errors = new Dictionary<string, string[]>();
        var toMonth = ParseMonth(to, "to", thisMonth, errors);
        var fromMonth = ParseMonth(from, "from", toMonth.AddMonths(-11), errors);
        if (errors.Count == 0 && fromMonth > toMonth)
            errors["from"] = ["Must not be later than 'to'."];
        else if (errors.Count == 0 && (toMonth.Year - fromMonth.Year) * 12 + toMonth.Month - fromMonth.Month >= MaxMonths)
            errors["from"] = [$"At most {MaxMonths} months at a time."];
        if (category is not null && !ComplaintCategories.IsKnown(category))
            errors["category"] = [$"Must be one of: {string.Join(", ", ComplaintCategories.All)}."];
        if (unit is not null && (unit.Length is 0 or > 64 || !unit.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_')))
            errors["unit"] = ["Must be a unit id such as u-ia."];
        if (format is not null && format is not ("json" or "csv"))
            errors["format"] = ["Must be json or csv."];
        if (errors.Count > 0)
            return Results.ValidationProblem(errors);

        await using var connection = await database.OpenConnectionAsync(ct);
        var facts = await CaseFactsReader.ReadAsync(connection, fromMonth, toMonth.AddMonths(1), ct);
        var names = await CaseFactsReader.UnitNamesAsync(connection, ct);
        var report = TransparencyReportBuilder.Build(facts, fromMonth, toMonth, category, unit, names);
        IReadOnlyDictionary<string, long>? openLoad = staff ? await CaseFactsReader.OpenLoadAsync(connection, ct) : null;

        if (format == "csv")
        {
            var file = $"complaint-figures-{report.From}-to-{report.To}{(category is null ? "" : "-" + category)}{(unit is null ? "" : "-" + unit)}.csv";
            return Results.File(Encoding.UTF8.GetBytes(Csv(report, openLoad)), "text/csv; charset=utf-8", file);
        }
        return Results.Ok(Json(report, openLoad));
    }

    private static DateTimeOffset ParseMonth(string? text, string field, DateTimeOffset fallback, Dictionary<string, string[]> errors)
    {
        if (text is null)
            return fallback;
        if (DateTime.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month) && month.Year >= 2000 && month.Year <= 2100)
            return new DateTimeOffset(month.Year, month.Month, 1, 0, 0, 0, TimeSpan.Zero);
        errors[field] = ["Must be a month as yyyy-MM, e.g. 2026-03."];
        return fallback;
    }

    private static object CellJson(Cell cell) => new { value = cell.Value, suppressed = cell.Suppressed, reason = cell.Reason };

    private static object TableJson(CountTable table) => new
    {
        rows = table.Rows,
        columns = table.Columns,
        cells = table.Cells.Select(row => row.Select(CellJson)),
        rowTotals = table.RowTotals.Select(CellJson),
        columnTotals = table.ColumnTotals.Select(CellJson),
        total = CellJson(table.Total),
    };

    private static object SeriesJson(FigureSeries series) => new
    {
        key = series.Key,
        byMonth = series.ByMonth.Select(CellJson),
        byCategory = series.ByCategory.Select(CellJson),
        overall = CellJson(series.Overall),
    };

    private static object Json(TransparencyReport report, IReadOnlyDictionary<string, long>? openLoad) => new
    {
        from = report.From,
        to = report.To,
        category = report.Category,
        unit = report.Unit,
        threshold = report.Threshold,
        empty = report.Empty,
        months = report.Months,
        categories = report.Categories,
        received = TableJson(report.Received),
        escalated = TableJson(report.Escalated),
        findings = TableJson(report.Findings),
        medianDays = report.MedianDays.Select(SeriesJson),
        withinDeadline = report.WithinDeadline.Select(SeriesJson),
        satisfaction = report.Satisfaction is null ? null : new
        {
            table = TableJson(report.Satisfaction),
            unitNames = report.Satisfaction.Rows.Select(u => UnitName(report, u)),
            shareSatisfied = report.ShareSatisfied.Select(CellJson),
        },
        openLoad = openLoad?.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new { unit = l.Key.Length == 0 ? null : l.Key, unitName = UnitName(report, l.Key), open = l.Value }),
    };

    public static string UnitName(TransparencyReport report, string unitId) =>
        unitId.Length == 0 ? "Unit not recorded" : report.UnitNames.GetValueOrDefault(unitId, unitId);

    /// <summary>Every figure, one per line: figure, row, column, value ("fewer than 5" where small, "withheld" where hidden to protect one).</summary>
    public static string Csv(TransparencyReport report, IReadOnlyDictionary<string, long>? openLoad)
    {
        var csv = new StringBuilder("figure,row,column,value\n");
        void Line(string figure, string row, string column, Cell cell) =>
            csv.Append(Field(figure)).Append(',').Append(Field(row)).Append(',').Append(Field(column)).Append(',')
               .Append(cell.Withheld ? Withheld : cell.Suppressed ? Suppressed : cell.Value!.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        void Table(string figure, CountTable table, Func<string, string>? rowName = null)
        {
            for (var i = 0; i < table.Rows.Count; i++)
            {
                for (var j = 0; j < table.Columns.Count; j++)
                    Line(figure, rowName?.Invoke(table.Rows[i]) ?? table.Rows[i], table.Columns[j], table.Cells[i][j]);
                Line(figure, rowName?.Invoke(table.Rows[i]) ?? table.Rows[i], "all", table.RowTotals[i]);
            }
            for (var j = 0; j < table.Columns.Count; j++)
                Line(figure, "all", table.Columns[j], table.ColumnTotals[j]);
            Line(figure, "all", "all", table.Total);
        }
        void Series(string figure, FigureSeries series)
        {
            var scope = report.Category ?? "all";
            for (var m = 0; m < report.Months.Count; m++)
                Line(figure, report.Months[m], scope, series.ByMonth[m]);
            for (var c = 0; c < report.Categories.Count; c++)
                Line(figure, "all", report.Categories[c], series.ByCategory[c]);
            Line(figure, "all", scope, series.Overall);
        }

        Table("complaints received", report.Received);
        Table("complaints escalated", report.Escalated);
        Table("allegation findings", report.Findings);
        foreach (var series in report.MedianDays)
            Series($"median days to {series.Key}", series);
        foreach (var series in report.WithinDeadline)
            Series($"percent within {series.Key} deadline", series);
        if (report.Satisfaction is { } satisfaction)
        {
            Table("complainant satisfaction answers", satisfaction, u => UnitName(report, u));
            for (var i = 0; i < satisfaction.Rows.Count; i++)
                Line("percent satisfied", UnitName(report, satisfaction.Rows[i]), "all", report.ShareSatisfied[i]);
        }
        if (openLoad is not null)
            foreach (var (unitId, open) in openLoad.OrderBy(l => l.Key, StringComparer.Ordinal))
                Line("open cases now", UnitName(report, unitId), "all", Cell.Shown(open));
        return csv.ToString();
    }

    /// <summary>RFC 4180, and a leading =, +, - or @ is quoted away so a spreadsheet never runs it as a formula.</summary>
    private static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@')
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
