using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Inbox;

public sealed record InboxCase(CaseDto Case, IReadOnlyList<ClockDto> Clocks, Urgency Urgency);

/// <summary>My inbox: my open cases with their deadlines, and the handoffs waiting for me to accept or decline.</summary>
public sealed class IndexModel(ServiceApi api, DirectoryClient directory, TimeProvider time) : PageModel
{
    public IReadOnlyList<InboxCase> Cases { get; private set; } = [];
    public IReadOnlyList<AwaitingHandoffDto> Handoffs { get; private set; } = [];
    public OrgChart? Chart { get; private set; }
    public List<ApiProblem> Problems { get; } = [];

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnGetRegionAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Partial("_Inbox", this);
    }

    public Task<IActionResult> OnPostAcceptAsync(Guid handoffId, CancellationToken ct) =>
        ActAsync(api.PostAsync(Service.Assignment, $"/api/handoffs/{handoffId}/accept", null, ct), "Handoff accepted: the case is yours now.");

    public Task<IActionResult> OnPostDeclineAsync(Guid handoffId, string? reason, CancellationToken ct) =>
        ActAsync(api.PostAsync(Service.Assignment, $"/api/handoffs/{handoffId}/decline", new { reason }, ct), "Handoff declined: the case stays with its owner.");

    public Task<IActionResult> OnPostAcknowledgeAsync(Guid caseId, CancellationToken ct) =>
        ActAsync(api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/acknowledge", null, ct), "Case acknowledged.");

    private async Task<IActionResult> ActAsync(Task<ApiResult<System.Text.Json.JsonElement>> call, string done)
    {
        await this.ReportAsync(call, done);
        return RedirectToPage();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var chart = await directory.CurrentAsync(ct);
        Chart = chart.Value;
        var inbox = await api.GetAsync<InboxDto>(Service.Assignment, "/api/me/inbox", ct);
        if (!inbox.Ok)
        {
            Problems.Add(inbox.Problem!);
            return;
        }
        Handoffs = inbox.Value!.HandoffsAwaitingMe;
        var clocks = await Deadlines.ForCasesAsync(api, inbox.Value.Cases.Select(c => c.CaseId), ct);
        if (!clocks.Ok)
            Problems.Add(clocks.Problem! with { Title = $"Deadlines are not shown: {clocks.Problem!.Title}" });
        var now = time.GetUtcNow();
        Cases = inbox.Value.Cases.Select(c =>
        {
            var list = clocks.Value!.GetValueOrDefault(c.CaseId) ?? [];
            return new InboxCase(c, list, Deadlines.Of(c.Overdue, list, now));
        }).OrderBy(c => Deadlines.Next(c.Clocks)?.DueAt ?? DateTimeOffset.MaxValue).ToList();
    }
}
