using System.Globalization;
using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Audit;

/// <summary>One case as the audit trail tells it: every step with its trace id, the custody chain, the state at any instant.</summary>
public sealed class CaseModel(ServiceApi api, DirectoryClient directory) : PageModel
{
    public Guid CaseId { get; private set; }
    public IReadOnlyList<TrailStepDto> Trail { get; private set; } = [];
    public IReadOnlyList<AuditCustodyDto> Custody { get; private set; } = [];
    public AuditStateDto? State { get; private set; }
    public string? AsOf { get; private set; }
    public string? AsOfError { get; private set; }
    public VerificationDto? Verification { get; private set; }
    public OrgChart? Chart { get; private set; }
    public ApiProblem? CaseProblem { get; private set; }
    public List<ApiProblem> Problems { get; } = [];

    /// <summary>The case's number (IA-2026-00042) from the trail's receipt; null when the trail has none.</summary>
    public string? CaseNumber { get; private set; }

    /// <summary>The answer of the per-case verify, when asked for.</summary>
    public CaseVerificationDto? CaseVerification { get; private set; }

    public Task OnGetAsync(Guid caseId, string? asOf, CancellationToken ct) => LoadAsync(caseId, asOf, ct);

    /// <summary>Verifies this case alone: its chain, its links into the global trail, the checkpoint covering it.</summary>
    public async Task OnPostVerifyCaseAsync(Guid caseId, CancellationToken ct)
    {
        var result = await api.GetAsync<CaseVerificationDto>(Service.Audit, $"/api/audit/cases/{caseId}/verify", ct);
        CaseVerification = result.Value;
        if (!result.Ok)
            Problems.Add(result.Problem!);
        await LoadAsync(caseId, null, ct);
    }

    /// <summary>This case's records, every column, passed through from the audit service as it streams them.</summary>
    public async Task<IActionResult> OnGetExportAsync(Guid caseId, string? format, CancellationToken ct)
    {
        var csv = format == "csv";
        var (response, problem) = await api.StreamAsync(Service.Audit, $"/api/audit/cases/{caseId}/export?format={(csv ? "csv" : "jsonl")}", ct);
        if (response is null)
        {
            Problems.Add(problem!);
            await LoadAsync(caseId, null, ct);
            return Page();
        }
        HttpContext.Response.RegisterForDispose(response);
        return File(await response.Content.ReadAsStreamAsync(ct), csv ? "text/csv" : "application/jsonl",
            $"audit-case-{caseId}-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssZ}.{(csv ? "csv" : "jsonl")}");
    }

    public async Task OnPostVerifyAsync(Guid caseId, CancellationToken ct)
    {
        var result = await api.GetAsync<VerificationDto>(Service.Audit, "/api/audit/verify", ct);
        Verification = result.Value;
        if (!result.Ok)
            Problems.Add(result.Problem!);
        await LoadAsync(caseId, null, ct);
    }

    private async Task LoadAsync(Guid caseId, string? asOf, CancellationToken ct)
    {
        CaseId = caseId;
        Chart = (await directory.CurrentAsync(ct)).Value;
        var trail = await api.GetAsync<List<TrailStepDto>>(Service.Audit, $"/api/audit/cases/{caseId}/trail", ct);
        if (!trail.Ok)
        {
            CaseProblem = trail.Problem;
            return;
        }
        Trail = trail.Value!;
        var current = await api.GetAsync<AuditStateDto>(Service.Audit, $"/api/audit/cases/{caseId}/state", ct);
        CaseNumber = current.Value?.CaseNumber;
        var custody = await api.GetAsync<List<AuditCustodyDto>>(Service.Audit, $"/api/audit/cases/{caseId}/custody", ct);
        Custody = custody.Value ?? [];
        if (!custody.Ok)
            Problems.Add(custody.Problem!);

        if (!string.IsNullOrWhiteSpace(asOf))
        {
            AsOf = asOf.Trim();
            // The form's datetime-local has no zone: read it as UTC, as the page says.
            var instant = DateTime.TryParseExact(AsOf, ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var local)
                ? new DateTimeOffset(local, TimeSpan.Zero).ToString("O")
                : AsOf;
            var state = await api.GetAsync<AuditStateDto>(Service.Audit, $"/api/audit/cases/{caseId}/state?asOf={Uri.EscapeDataString(instant)}", ct);
            State = state.Value;
            if (!state.Ok)
                AsOfError = state.Problem!.ErrorFor("asOf") ?? state.Problem.Message;
        }
    }
}
