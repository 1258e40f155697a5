using System.Text.Json;
using Accountability.Console.Backend;
using Accountability.Console.SignIn;
using Accountability.Contracts.Escalation;
using Accountability.ServiceDefaults.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Cases;

/// <summary>
/// One case: the complaint (contact details only when the intake service shows them to this role),
/// allegations and findings, the custody chain, the clocks, and the actions the role may take.
/// Every action goes to the service that owns it, which has the last word.
/// </summary>
public sealed class CaseModel(ServiceApi api, DirectoryClient directory, Microsoft.Extensions.Options.IOptions<ConsoleOptions> options) : PageModel
{
    /// <summary>The findings the assignment service accepts for an allegation.</summary>
    public static readonly IReadOnlyList<string> Findings = ["sustained", "not-sustained", "exonerated", "unfounded", "policy-failure"];

    public static IReadOnlyList<string> PauseReasons => StatutoryPauseReasons.All;

    /// <summary>How a contact was made, as the assignment service accepts it, in words.</summary>
    public static readonly IReadOnlyList<(string Value, string Label)> ContactMethods =
        [("phone", "Phone"), ("email", "E-mail"), ("in-person", "In person"), ("letter", "Letter"), ("other", "Other")];

    public static string ContactMethodLabel(string? method) =>
        method is null ? "Not recorded" : ContactMethods.FirstOrDefault(m => m.Value == method).Label ?? method;

    /// <summary>The contact form's refused fields, carried over the redirect so each reason shows next to its field.</summary>
    public string? ContactError(string field) => TempData[$"ContactError:{field}"] as string;

    public Guid CaseId { get; private set; }
    public CaseDto? Case { get; private set; }
    public ComplaintDto? Complaint { get; private set; }
    public IReadOnlyList<CustodyIntervalDto> Custody { get; private set; } = [];
    public IReadOnlyList<ClockDto> Clocks { get; private set; } = [];
    public OrgChart? Chart { get; private set; }
    public ApiProblem? CaseProblem { get; private set; }
    public List<ApiProblem> Problems { get; } = [];

    public bool MayWork => User.HasAnyRole(Roles.Investigator, Roles.Supervisor, Roles.Commander, Roles.Admin);
    public bool MayHandOff => MayWork || User.IsInRole(Roles.Dispatcher);
    public bool MayCommand => User.HasAnyRole(ConsoleUser.CommandRoles);
    public bool MayReassign => User.HasAnyRole(Roles.Supervisor, Roles.Commander);
    public bool IsOwner => Case?.Owner is { Kind: "person" } owner && owner.Id == User.PersonId();
    public bool IsInternalAffairsCommand => Chart?.IsInternalAffairsCommand(User.PersonId()) == true;

    /// <summary>
    /// Who a list of receivers may offer: anyone eligible, or for a confidential case only its team and internal-affairs
    /// command (assignment refuses the others).
    /// </summary>
    public IEnumerable<Accountability.Contracts.Directory.OrgPerson> Receivers(IEnumerable<Accountability.Contracts.Directory.OrgPerson> eligible) =>
        Case?.Confidentiality is { } confidential
            ? eligible.Where(p => confidential.Team.Any(m => m.Id == p.Id) || Chart!.IsInternalAffairsCommand(p.Id))
            : eligible;

    /// <summary>"Samuel Osei, Laura Kim (owner) and Emily Tran": the team in words, for the banner.</summary>
    public string TeamInWords(ConfidentialityDto confidential)
    {
        var names = confidential.Team
            .Select(m => (Chart?.Person(m.Id)?.Name ?? m.Name ?? m.Id) + (Case?.Owner is { Kind: "person" } owner && owner.Id == m.Id ? " (owner)" : ""))
            .ToList();
        return names.Count <= 1 ? string.Join("", names) : $"{string.Join(", ", names[..^1])} and {names[^1]}";
    }

    public async Task<IActionResult> OnGetAsync(Guid caseId, CancellationToken ct)
    {
        CaseId = caseId;
        var caseTask = api.GetAsync<CaseDto>(Service.Assignment, $"/api/cases/{caseId}", ct);
        var chart = await directory.CurrentAsync(ct);
        Chart = chart.Value;
        var found = await caseTask;
        if (!found.Ok)
        {
            CaseProblem = found.Problem;
            Response.StatusCode = found.Problem!.Status is 403 or 404 ? found.Problem.Status : 200;
            return Page();
        }
        Case = found.Value;
        // The board's view never asks for the complaint's text: it is not the reader's to see.
        if (!Case!.IsBoardView)
        {
            var complaint = await api.GetAsync<ComplaintDto>(Service.Intake, $"/api/complaints/{caseId}", ct);
            Complaint = complaint.Value;
            if (!complaint.Ok)
                Problems.Add(complaint.Problem! with { Title = $"The complaint's text is not shown: {complaint.Problem!.Title}" });
        }
        var custody = await api.GetAsync<List<CustodyIntervalDto>>(Service.Assignment, $"/api/cases/{caseId}/custody", ct);
        Custody = custody.Value ?? [];
        if (!custody.Ok)
            Problems.Add(custody.Problem!);
        // A confidential case's deadlines are for its team, not for the board's view.
        if (Case.IsMasked)
            return Page();
        var clocks = await api.GetAsync<List<ClockDto>>(Service.Escalation, $"/api/cases/{caseId}/clocks", ct);
        Clocks = clocks.Value ?? [];
        if (!clocks.Ok && clocks.Problem!.Status != 404)
            Problems.Add(clocks.Problem! with { Title = $"The clocks are not shown: {clocks.Problem!.Title}" });
        return Page();
    }

    public Task<IActionResult> OnPostHandoffAsync(Guid caseId, string? to, string? reason, CancellationToken ct)
    {
        var (kind, id) = Target(to);
        object body = kind == "unit" ? new { toUnitId = id, reason } : new { toPersonId = id, reason };
        return ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/handoffs", body, ct),
            "Handoff requested. The case stays with its owner until the receiver accepts.");
    }

    public Task<IActionResult> OnPostCancelHandoffAsync(Guid caseId, Guid handoffId, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/handoffs/{handoffId}/cancel", new { reason = "Cancelled by the owner" }, ct), "Handoff cancelled.");

    public Task<IActionResult> OnPostAcknowledgeAsync(Guid caseId, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/acknowledge", null, ct), "Case acknowledged.");

    public async Task<IActionResult> OnPostContactAsync(Guid caseId, string? method, string? note, CancellationToken ct)
    {
        var result = await api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/contacts",
            new { method = string.IsNullOrEmpty(method) ? null : method, note = string.IsNullOrWhiteSpace(note) ? null : note }, ct);
        if (result.Ok)
            TempData["Done"] = "Contact with the complainant recorded.";
        else if (result.Problem!.ErrorFor("method") is null && result.Problem.ErrorFor("note") is null)
            TempData["Failed"] = result.Problem.Summary;
        else
        {
            // The reasons go next to the fields; the note comes back so nothing typed is lost.
            TempData["Failed"] = "The contact was not recorded: see the form below.";
            foreach (var field in new[] { "method", "note" })
                if (result.Problem.ErrorFor(field) is { } reason)
                    TempData[$"ContactError:{field}"] = field == "method" ? "Choose how you reached the complainant." : reason;
            TempData["ContactNote"] = note;
        }
        return RedirectToPage(new { caseId });
    }

    public Task<IActionResult> OnPostAddAllegationAsync(Guid caseId, string? type, string? officerBadge, string? officerDescription, string? reason, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/allegations",
            new { type, officerBadge = string.IsNullOrWhiteSpace(officerBadge) ? null : officerBadge.Trim(), officerDescription, reason }, ct), "Allegation added.");

    public Task<IActionResult> OnPostFindingAsync(Guid caseId, string? allegationId, string? finding, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/findings", new { allegationId, finding }, ct), "Finding recorded.");

    public Task<IActionResult> OnPostResolveAsync(Guid caseId, string? reason, bool confirm, CancellationToken ct)
    {
        // Resolving closes the case: a note for the record and an explicit confirmation, before the service is asked.
        if (string.IsNullOrWhiteSpace(reason) || !confirm)
        {
            TempData["Failed"] = string.IsNullOrWhiteSpace(reason)
                ? "Write a resolution note: what was found and done."
                : "Tick the box to confirm that every finding is checked.";
            return Task.FromResult<IActionResult>(RedirectToPage(new { caseId }));
        }
        return ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/resolve", new { reason }, ct), "Case resolved.");
    }

    /// <summary>An instant in the department's time zone, in words.</summary>
    public string Local(DateTimeOffset instant) => options.Value.InWords(instant);

    /// <summary>
    /// Command staff and auditors get a link from an allegation to the officer's history; escalation still decides,
    /// and shows anyone outside internal-affairs command and audit the "not allowed" page.
    /// </summary>
    public bool MayReadOfficerHistory => User.HasAnyRole(Roles.Commander, Roles.Auditor);

    /// <summary>The place as given: an address or a landmark, else coordinates.</summary>
    public string? Address(ComplaintDto complaint)
    {
        if (complaint.Location is not { ValueKind: JsonValueKind.Object } location)
            return null;
        if (location.TryGetProperty("address", out var address) && address.ValueKind == JsonValueKind.String)
            return address.GetString();
        return location.TryGetProperty("latitude", out var lat) && location.TryGetProperty("longitude", out var lon)
            && lat.ValueKind == JsonValueKind.Number && lon.ValueKind == JsonValueKind.Number
            ? $"{lat.GetDouble():0.#####}, {lon.GetDouble():0.#####}"
            : null;
    }

    /// <summary>Who an allegation is about: the badge (and the person it belongs to), the complainant's description, or "not identified".</summary>
    public string Officer(AllegationDto allegation)
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(allegation.OfficerBadge))
            parts.Add(Chart?.PersonByBadge(allegation.OfficerBadge) is { } person ? $"badge {allegation.OfficerBadge} ({person})" : $"badge {allegation.OfficerBadge}");
        if (!string.IsNullOrWhiteSpace(allegation.OfficerDescription))
            parts.Add($"described as \"{allegation.OfficerDescription}\"");
        return parts.Count == 0 ? "not identified" : string.Join(", ", parts);
    }

    public Task<IActionResult> OnPostReopenAsync(Guid caseId, string? reason, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/reopen", new { reason }, ct), "Case reopened.");

    public Task<IActionResult> OnPostReassignAsync(Guid caseId, string? toPersonId, string? reason, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/reassign", new { toPersonId, reason }, ct), "Case reassigned.");

    public Task<IActionResult> OnPostConfidentialAsync(Guid caseId, string? reason, string[]? team, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/confidential", new { reason, team = team ?? [] }, ct),
            "The case is confidential: only its team, internal-affairs command and auditors see it now.");

    public Task<IActionResult> OnPostLiftConfidentialAsync(Guid caseId, string? reason, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Assignment, $"/api/cases/{caseId}/confidential/lift", new { reason }, ct),
            "Confidentiality lifted: the ordinary rule of who may see a case applies again.");

    public Task<IActionResult> OnPostPauseAsync(Guid caseId, string? reason, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Escalation, $"/api/cases/{caseId}/statutory/pause", new { reason }, ct), "Statutory clock paused.");

    public Task<IActionResult> OnPostResumeAsync(Guid caseId, CancellationToken ct) =>
        ActAsync(caseId, api.PostAsync(Service.Escalation, $"/api/cases/{caseId}/statutory/resume", null, ct), "Statutory clock resumed.");

    /// <summary>"person:p-1019" or "unit:u-internal-affairs", as the handoff form's single list offers them.</summary>
    private static (string Kind, string? Id) Target(string? to) =>
        to?.Split(':', 2) is [var kind and ("person" or "unit"), var id] ? (kind, id) : ("person", null);

    private async Task<IActionResult> ActAsync(Guid caseId, Task<ApiResult<JsonElement>> call, string done)
    {
        await this.ReportAsync(call, done);
        return RedirectToPage(new { caseId });
    }
}
