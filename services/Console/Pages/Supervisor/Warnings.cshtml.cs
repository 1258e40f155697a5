using Accountability.Console.Backend;
using Accountability.Console.Pages.Officers;
using Accountability.Contracts.EarlyWarning;
using Accountability.ServiceDefaults.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Supervisor;

/// <summary>What the supervisor typed for one warning, kept when escalation refuses it so that nothing has to be typed twice.</summary>
public sealed record InterventionForm(Guid WarningId, string? Intervention, string? Note, IReadOnlyDictionary<string, string[]> Errors)
{
    public string? ErrorFor(string field) => Errors.TryGetValue(field, out var reasons) ? string.Join(" ", reasons) : null;
}

/// <summary>
/// Early warnings (issue 16): officers below me whose complaints crossed a threshold, and the intervention I record for
/// each (training, counselling, or none with the reason). Escalation decides what I may see: a supervisor the warnings
/// that named him, without the cases (his officer's chain must not learn which complaints name him); internal-affairs
/// command every warning, with its cases and a link to the officer's history. The officer himself never sees it.
/// </summary>
public sealed class WarningsModel(ServiceApi api, DirectoryClient directory, Microsoft.Extensions.Options.IOptions<ConsoleOptions> options) : PageModel
{
    public static readonly IReadOnlyList<(string Value, string Label, string Hint)> Choices =
    [
        (Interventions.Training, "Training", "a course or refresher the officer will attend"),
        (Interventions.Counselling, "Counselling", "a conversation with the officer about the pattern"),
        (Interventions.None, "No intervention", "say why in the note: it is a decision, and the record keeps its reason"),
    ];

    public string Local(DateTimeOffset instant) => options.Value.InWords(instant);

    public IReadOnlyList<EarlyWarningDto> Waiting { get; private set; } = [];
    public IReadOnlyList<EarlyWarningDto> Recorded { get; private set; } = [];
    public OrgChart? Chart { get; private set; }
    public ApiProblem? Problem { get; private set; }
    public InterventionForm? Refused { get; private set; }

    /// <summary>Internal-affairs command and auditors may open an officer's history; a supervisor may not.</summary>
    public bool MayReadHistory { get; private set; }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(Guid warningId, string? intervention, string? note, CancellationToken ct)
    {
        var result = await api.PostAsync(Service.Escalation, $"/api/early-warnings/{warningId}/acknowledgement", new { intervention, note }, ct);
        if (result.Ok)
        {
            TempData["Done"] = "Decision recorded. It is in the officer's history and in the audit trail.";
            return RedirectToPage();
        }
        // A field the supervisor can fix is answered beside that field, with what they typed; anything else at the top.
        if (result.Problem!.Errors.Count > 0)
            Refused = new InterventionForm(warningId, intervention, note, result.Problem.Errors);
        else
            TempData["Failed"] = result.Problem.Status == 404
                ? "That warning is not one you may act on, or it no longer exists."
                : result.Problem.Summary;
        if (Refused is null)
            return RedirectToPage();
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var chart = await directory.CurrentAsync(ct);
        Chart = chart.Value;
        var me = User.PersonId();
        MayReadHistory = User.IsInRole(Roles.Auditor) || Chart?.IsInternalAffairsCommand(me) == true;
        var warnings = await api.GetAsync<List<EarlyWarningDto>>(Service.Escalation, "/api/early-warnings?limit=500", ct);
        if (!warnings.Ok)
        {
            Problem = warnings.Problem!.Status == 403
                ? warnings.Problem with { Title = "Early warnings are for supervisors, commanders and auditors", Detail = "Your role does not receive them." }
                : warnings.Problem;
            return;
        }
        Waiting = [.. warnings.Value!.Where(w => w.AcknowledgedAt is null).OrderBy(w => w.OccurredAt)];
        Recorded = [.. warnings.Value!.Where(w => w.AcknowledgedAt is not null).OrderByDescending(w => w.AcknowledgedAt)];
    }
}
