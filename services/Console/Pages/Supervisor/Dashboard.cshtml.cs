using Accountability.Console.Backend;
using Accountability.ServiceDefaults.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Supervisor;

/// <summary>
/// The staff dashboard: the public page's charts for one unit, with its on-time trend by month and the open load
/// of each unit. A supervisor or commander picks among the units below them (as the supervisor view does);
/// internal-affairs command and admins among all. The figures are audit's, suppressed as on the public page.
/// </summary>
public sealed class DashboardModel(ServiceApi api, DirectoryClient directory) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Unit { get; set; }
    [BindProperty(SupportsGet = true)] public string? From { get; set; }
    [BindProperty(SupportsGet = true)] public string? To { get; set; }
    [BindProperty(SupportsGet = true)] public string? Category { get; set; }

    public OrgChart? Chart { get; private set; }
    public IReadOnlyList<(string Id, string Name)> Units { get; private set; } = [];
    public TransparencyDto? Figures { get; private set; }
    public IReadOnlyList<OpenLoadDto> OpenLoad { get; private set; } = [];
    public List<ApiProblem> Problems { get; } = [];

    public string Query => Transparency.IndexModel.FiguresQuery(From, To, Category, Unit);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await ChooseUnitAsync(ct))
            return Page();
        var result = await api.GetAsync<TransparencyDto>(Service.Audit, $"/api/transparency/units?{Query}", ct);
        if (!result.Ok)
        {
            Problems.Add(result.Problem!);
            return Page();
        }
        Figures = result.Value;
        var mine = Units.Select(u => u.Id).ToHashSet();
        OpenLoad = [.. (Figures!.OpenLoad ?? []).Where(l => l.Unit is not null && mine.Contains(l.Unit))
            .Select(l => l with { UnitName = Chart!.UnitName(l.Unit) }).OrderByDescending(l => l.Open)];
        return Page();
    }

    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        if (!await ChooseUnitAsync(ct))
            return Page();
        var (response, problem) = await api.StreamAsync(Service.Audit, $"/api/transparency/units?{Query}&format=csv", ct);
        if (response is null)
        {
            Problems.Add(problem!);
            return Page();
        }
        HttpContext.Response.RegisterForDispose(response);
        return File(await response.Content.ReadAsStreamAsync(ct), "text/csv; charset=utf-8",
            response.Content.Headers.ContentDisposition?.FileNameStar ?? "unit-figures.csv");
    }

    /// <summary>The units this person may watch; false (with a problem) when the one asked for is not among them.</summary>
    private async Task<bool> ChooseUnitAsync(CancellationToken ct)
    {
        var chart = await directory.CurrentAsync(ct);
        if (!chart.Ok)
        {
            Problems.Add(chart.Problem!);
            return false;
        }
        Chart = chart.Value!;
        var me = User.PersonId();
        var ids = User.IsInRole(Roles.Admin) || Chart.IsInternalAffairsCommand(me) ? Chart.Units.Select(u => u.Id).ToHashSet() : Chart.UnitsBelow(me);
        Units = [.. ids.Select(id => (id, Chart.UnitName(id))).OrderBy(u => u.Item2, StringComparer.Ordinal)];
        if (Units.Count == 0)
        {
            Problems.Add(new ApiProblem(403, "No unit reports to you", "The dashboard shows the units below you in the chain of command.", new Dictionary<string, string[]>()));
            return false;
        }
        Unit ??= Units[0].Id;
        if (!ids.Contains(Unit))
        {
            Problems.Add(new ApiProblem(403, "That unit is not below you", "Pick one of your units.", new Dictionary<string, string[]> { ["unit"] = ["Not one of your units."] }));
            Unit = null;
            return false;
        }
        return true;
    }
}
