using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Inbox;

public sealed record InboxCase(CaseDto Case, IReadOnlyList<ClockDto> Clocks, Urgency Urgency);

/// <summary>
/// A handoff offered to me, with what I need to decide: the complaint's opening words (the receiver of a pending
/// handoff may read it in full) and when the offer expires (its handoff-accept clock), after which the case stays
/// with its owner.
/// </summary>
public sealed record HandoffCard(AwaitingHandoffDto Waiting, string? Summary, string? SummaryMissing, DateTimeOffset? ExpiresAt);

/// <summary>My inbox: my open cases with their deadlines, and the handoffs waiting for me to accept or decline.</summary>
public sealed class IndexModel(ServiceApi api, DirectoryClient directory, TimeProvider time, Microsoft.Extensions.Options.IOptions<ConsoleOptions> options) : PageModel
{
    /// <summary>An instant in the department's time zone, in words.</summary>
    public string Local(DateTimeOffset instant) => options.Value.InWords(instant);

    public IReadOnlyList<InboxCase> Cases { get; private set; } = [];
    public IReadOnlyList<HandoffCard> Handoffs { get; private set; } = [];

    /// <summary>How much of the narrative a card shows.</summary>
    public const int SummaryLength = 200;
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
        var waiting = inbox.Value!.HandoffsAwaitingMe;
        var clocks = await Deadlines.ForCasesAsync(api, inbox.Value.Cases.Select(c => c.CaseId).Concat(waiting.Select(h => h.CaseId)), ct);
        if (!clocks.Ok)
            Problems.Add(clocks.Problem! with { Title = $"Deadlines are not shown: {clocks.Problem!.Title}" });
        var now = time.GetUtcNow();
        Cases = inbox.Value.Cases.Select(c =>
        {
            var list = clocks.Value!.GetValueOrDefault(c.CaseId) ?? [];
            return new InboxCase(c, list, Deadlines.Of(c.Overdue, list, now));
        }).OrderBy(c => Deadlines.Next(c.Clocks)?.DueAt ?? DateTimeOffset.MaxValue).ToList();

        var cards = new List<HandoffCard>();
        foreach (var offer in waiting)
        {
            var complaint = await api.GetAsync<ComplaintDto>(Service.Intake, $"/api/complaints/{offer.CaseId}", ct);
            var expires = clocks.Value?.GetValueOrDefault(offer.CaseId)?
                .FirstOrDefault(k => k.Clock == "handoff-accept" && k.State is "running" or "breached")?.DueAt;
            cards.Add(new HandoffCard(offer, complaint.Ok ? Summarise(complaint.Value!.Narrative) : null,
                complaint.Ok ? null : $"The summary is not shown: {complaint.Problem!.Message}", expires));
        }
        Handoffs = cards;
    }

    /// <summary>The narrative's opening, cut at a word, on one line.</summary>
    public static string Summarise(string narrative)
    {
        var text = string.Join(' ', narrative.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (text.Length <= SummaryLength)
            return text;
        var cut = text.LastIndexOf(' ', SummaryLength);
        return text[..(cut > SummaryLength / 2 ? cut : SummaryLength)] + "…";
    }
}
