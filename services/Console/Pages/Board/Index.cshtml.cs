using Accountability.Console.Backend;
using Accountability.Contracts.Intake;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Accountability.Console.Pages.Board;

public sealed record BoardRow(CaseDto Case, string OwnerLabel, string UnitName, NextDeadline? Deadline, Urgency Urgency);

/// <summary>
/// The dispatch board: every open case with its owner and next deadline, the unowned count, filters.
/// The rows are a partial of their own, fetched again whenever the live feed says a case changed.
/// </summary>
public sealed class IndexModel(ServiceApi api, DirectoryClient directory, IOptions<ConsoleOptions> options, TimeProvider time) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Unit { get; set; }
    [BindProperty(SupportsGet = true)] public string? District { get; set; }
    [BindProperty(SupportsGet = true)] public string? Category { get; set; }
    [BindProperty(SupportsGet = true)] public string? Owner { get; set; }
    [BindProperty(SupportsGet = true)] public string? Number { get; set; }

    public IReadOnlyList<BoardRow> Rows { get; private set; } = [];
    public OrgChart? Chart { get; private set; }
    public GapMonitorDto? GapMonitor { get; private set; }
    public string? GapMonitorNote { get; private set; }
    public List<ApiProblem> Problems { get; } = [];
    public IReadOnlyList<string> Categories => ComplaintCategories.All;
    public DateTimeOffset Now { get; private set; }

    public string RowsUrl => $"/board?handler=Rows&{FilterQuery}";

    public string FilterQuery => string.Join('&', new[] { ("unit", Unit), ("district", District), ("category", Category), ("owner", Owner), ("number", Number?.Trim()) }
        .Where(f => !string.IsNullOrEmpty(f.Item2)).Select(f => $"{f.Item1}={Uri.EscapeDataString(f.Item2!)}"));

    public async Task OnGetAsync(CancellationToken ct)
    {
        await LoadRowsAsync(ct);
        var gap = await api.GetAsync<GapMonitorDto>(Service.Escalation, "/api/gap-monitor", ct);
        if (gap.Ok)
            GapMonitor = gap.Value;
        else
            GapMonitorNote = gap.Problem!.Status == 404 ? "The gap monitor has not finished its first sweep yet." : gap.Problem.Message;
    }

    /// <summary>The table body alone, for the live refresh.</summary>
    public async Task<IActionResult> OnGetRowsAsync(CancellationToken ct)
    {
        await LoadRowsAsync(ct);
        return Partial("_Rows", this);
    }

    private async Task LoadRowsAsync(CancellationToken ct)
    {
        Now = time.GetUtcNow();
        var chart = await directory.CurrentAsync(ct);
        Chart = chart.Value;
        if (!chart.Ok)
            Problems.Add(chart.Problem!);

        var query = $"/api/cases?status=open&limit={options.Value.BoardSize}" + (FilterQuery.Length > 0 ? "&" + FilterQuery : "");
        var cases = await api.GetAsync<List<CaseDto>>(Service.Assignment, query, ct);
        if (!cases.Ok)
        {
            Problems.Add(cases.Problem!);
            return;
        }
        var list = cases.Value ?? [];
        var clocks = await Deadlines.ForCasesAsync(api, list.Select(c => c.CaseId), ct);
        if (!clocks.Ok)
            Problems.Add(clocks.Problem! with { Title = $"Deadlines are not shown: {clocks.Problem!.Title}" });
        Rows = list.Select(c =>
        {
            var caseClocks = clocks.Value!.GetValueOrDefault(c.CaseId);
            return new BoardRow(c, Chart?.OwnerLabel(c.Owner.Kind, c.Owner.Id) ?? c.Owner.Name ?? c.Owner.Id, Chart?.UnitName(c.UnitId) ?? c.UnitId,
                Deadlines.Next(caseClocks), Deadlines.Of(c.Overdue, caseClocks, Now));
        }).ToList();
    }
}
