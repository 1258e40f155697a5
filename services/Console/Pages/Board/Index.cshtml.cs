using Accountability.Console.Backend;
using Accountability.Contracts.Intake;
using Accountability.ServiceDefaults.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Accountability.Console.Pages.Board;

/// <summary><see cref="OfferExpiresAt"/>: when a pending handoff's offer lapses (its handoff-accept clock), if escalation said.</summary>
public sealed record BoardRow(CaseDto Case, string OwnerLabel, string UnitName, NextDeadline? Deadline, Urgency Urgency, DateTimeOffset? OfferExpiresAt = null);

/// <summary>
/// The case board: the cases the signed-in person may see, most urgent first, with their owner and next deadline, the
/// unowned count, filters and search. What only intake knows (a tracking code, the complainant's name) is looked up
/// there first; either way the services decide which cases the person may find.
/// The rows are a partial of their own, fetched again whenever the live feed says a case changed.
/// </summary>
public sealed class IndexModel(ServiceApi api, DirectoryClient directory, IOptions<ConsoleOptions> options, TimeProvider time) : PageModel
{
    /// <summary>The status filter's choices; open by default.</summary>
    public static readonly IReadOnlyList<(string Value, string Label)> Statuses = [("open", "Open"), ("resolved", "Resolved"), ("all", "Open and resolved")];

    /// <summary>The orders the board offers; most urgent first by default.</summary>
    public static readonly IReadOnlyList<(string Value, string Label)> Sorts = [("urgency", "Most urgent first"), ("newest", "Newest first")];

    [BindProperty(SupportsGet = true)] public string? Unit { get; set; }
    [BindProperty(SupportsGet = true)] public string? District { get; set; }
    [BindProperty(SupportsGet = true)] public string? Category { get; set; }
    [BindProperty(SupportsGet = true)] public string? Owner { get; set; }
    [BindProperty(SupportsGet = true)] public string? Number { get; set; }
    [BindProperty(SupportsGet = true)] public string? Officer { get; set; }
    [BindProperty(SupportsGet = true)] public string? TrackingCode { get; set; }
    [BindProperty(SupportsGet = true)] public string? Complainant { get; set; }
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true)] public string? Sort { get; set; }

    /// <summary>A refused filter's reason, by the page's field name, shown next to that field.</summary>
    public Dictionary<string, string> FieldErrors { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the complainant's name may be searched: only roles that may read the complainant's contact (intake says the same).</summary>
    public bool MaySearchComplainant => User.HasAnyRole([.. Roles.ContactReaders]);

    /// <summary>The unowned count is for those who watch over every case (escalation says who); an investigator's board has none.</summary>
    public bool ShowsGapMonitor => User.HasAnyRole(Roles.Dispatcher, Roles.Supervisor, Roles.Commander, Roles.Admin);

    public string StatusValue => Statuses.Any(s => s.Value == Status) ? Status! : "open";
    public string SortValue => Sorts.Any(s => s.Value == Sort) ? Sort! : "urgency";

    /// <summary>Whether anything narrows the board beyond its defaults, so an empty result can say "No cases match".</summary>
    public bool Filtered => FilterQuery.Length > 0;

    public IReadOnlyList<BoardRow> Rows { get; private set; } = [];
    public OrgChart? Chart { get; private set; }
    public GapMonitorDto? GapMonitor { get; private set; }
    public string? GapMonitorNote { get; private set; }
    public List<ApiProblem> Problems { get; } = [];
    public IReadOnlyList<string> Categories => ComplaintCategories.All;
    public DateTimeOffset Now { get; private set; }

    /// <summary>An instant in the department's time zone, in words.</summary>
    public string Local(DateTimeOffset instant) => options.Value.InWords(instant);

    /// <summary>
    /// Whether the row offers "Hand off": an open case with no handoff pending, whose unit this person dispatches for, or
    /// which they own. A dispatcher never moves a confidential case, so its masked row offers nothing. Assignment decides again.
    /// </summary>
    public bool OffersHandoff(CaseDto c)
    {
        if (c.Status != "open" || c.PendingHandoff is not null || c.IsMasked)
            return false;
        var me = User.PersonId();
        return (c.Owner.Kind == "person" && c.Owner.Id == me)
            || (User.IsInRole(Roles.Dispatcher) && Chart?.Person(me)?.DispatchesFor.Contains(c.UnitId, StringComparer.Ordinal) == true);
    }

    public string RowsUrl => $"/board?handler=Rows&{FilterQuery}";

    public string FilterQuery => string.Join('&', new[]
        {
            ("unit", Unit), ("district", District), ("category", Category), ("owner", Owner), ("number", Number?.Trim()), ("officer", Officer?.Trim()),
            ("trackingCode", TrackingCode?.Trim()), ("complainant", Complainant?.Trim()),
            ("status", Status is null || StatusValue == "open" ? null : StatusValue), ("sort", Sort is null || SortValue == "urgency" ? null : SortValue),
        }
        .Where(f => !string.IsNullOrEmpty(f.Item2)).Select(f => $"{f.Item1}={Uri.EscapeDataString(f.Item2!)}"));

    public async Task OnGetAsync(CancellationToken ct)
    {
        await LoadRowsAsync(ct);
        if (!ShowsGapMonitor)
            return;
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

        // The assignment service's own filters, by its parameter names; "all" statuses is no status filter.
        var filters = new List<(string Name, string? Value)>
        {
            ("unit", Unit), ("district", District), ("category", Category), ("owner", Owner), ("number", Number?.Trim()), ("officer", Officer?.Trim()),
            ("status", StatusValue == "all" ? null : StatusValue), ("sort", SortValue), ("limit", options.Value.BoardSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        // A tracking code or a complainant's name: intake finds the cases (only those this person may see), assignment lists them.
        if (await FoundByIntakeAsync(ct) is { } found)
        {
            if (found.Count == 0)
                return;
            filters.Add(("ids", string.Join(',', found)));
        }
        else if (FieldErrors.Count > 0 || Problems.Count > 0)
            return;
        var query = "/api/cases?" + string.Join('&', filters.Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => $"{f.Name}={Uri.EscapeDataString(f.Value!)}"));
        var cases = await api.GetAsync<List<CaseDto>>(Service.Assignment, query, ct);
        if (!cases.Ok)
        {
            Refused(cases.Problem!, ("officer", "officer"), ("number", "number"), ("category", "category"), ("district", "district"));
            return;
        }
        var list = cases.Value ?? [];
        // A confidential case's deadlines are its team's: the board's view does not even ask for them.
        var clocks = await Deadlines.ForCasesAsync(api, list.Where(c => !c.IsMasked).Select(c => c.CaseId), ct);
        if (!clocks.Ok)
            Problems.Add(clocks.Problem! with { Title = $"Deadlines are not shown: {clocks.Problem!.Title}" });
        var rows = list.Select(c =>
        {
            var caseClocks = c.Status == "resolved" ? null : clocks.Value!.GetValueOrDefault(c.CaseId);
            return new BoardRow(c, Chart?.OwnerLabel(c.Owner.Kind, c.Owner.Id) ?? c.Owner.Name ?? c.Owner.Id, Chart?.UnitName(c.UnitId) ?? c.UnitId,
                Deadlines.Next(caseClocks), c.Status == "resolved" ? Urgency.Normal : Deadlines.Of(c.Overdue, caseClocks, Now),
                caseClocks?.FirstOrDefault(k => k.Clock == "handoff-accept" && k.State is "running" or "breached")?.DueAt);
        });
        // Assignment puts breached cases first but knows no deadlines; escalation's clocks order the rest.
        Rows = SortValue == "urgency"
            ? [.. rows.OrderBy(r => r.Case.Status == "resolved").ThenByDescending(r => r.Urgency == Urgency.Overdue)
                .ThenBy(r => r.Deadline?.DueAt ?? DateTimeOffset.MaxValue)]
            : [.. rows];
    }

    /// <summary>The case ids intake found for a tracking code or a complainant's name; null when neither was asked for (or intake refused).</summary>
    private async Task<IReadOnlyList<Guid>?> FoundByIntakeAsync(CancellationToken ct)
    {
        var code = TrackingCode?.Trim();
        var name = Complainant?.Trim();
        if (!string.IsNullOrEmpty(code) && !string.IsNullOrEmpty(name))
        {
            FieldErrors["trackingCode"] = "Search by a tracking code or by a complainant's name, not both at once.";
            return null;
        }
        string path;
        if (!string.IsNullOrEmpty(code))
            path = $"/api/complaints?trackingCode={Uri.EscapeDataString(code)}";
        else if (!string.IsNullOrEmpty(name))
        {
            if (!MaySearchComplainant)
            {
                FieldErrors["complainant"] = "Your role may not search by the complainant's name.";
                return null;
            }
            path = $"/api/complaints?complainantName={Uri.EscapeDataString(name)}";
        }
        else
            return null;
        var found = await api.GetAsync<List<FoundComplaintDto>>(Service.Intake, path, ct);
        if (found.Ok)
            return [.. (found.Value ?? []).Select(f => f.CaseId).Take(100)];
        Refused(found.Problem!, ("trackingCode", "trackingCode"), ("complainantName", "complainant"));
        return null;
    }

    /// <summary>A service's field-level reasons go next to the page's fields; anything else is a problem above the table.</summary>
    private void Refused(ApiProblem problem, params (string ApiField, string PageField)[] fields)
    {
        var placed = false;
        foreach (var (apiField, pageField) in fields)
            if (problem.ErrorFor(apiField) is { } reason)
            {
                FieldErrors[pageField] = reason;
                placed = true;
            }
        if (!placed)
            Problems.Add(problem);
    }
}
