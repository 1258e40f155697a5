using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Audit;

/// <summary>
/// One case's report for paper: the case as the trail tells it (custody, allegations and findings), its clocks, and
/// the per-case verify with every record's hash and the signed checkpoint, so the printout can be checked later
/// against an export and the public key. Each read is access-logged by the service that answers it.
/// </summary>
public sealed class ReportModel(ServiceApi api, DirectoryClient directory, TimeProvider time) : PageModel
{
    public Guid CaseId { get; private set; }
    public AuditStateDto? State { get; private set; }
    public IReadOnlyList<ClockDto> Clocks { get; private set; } = [];
    public ApiProblem? ClocksProblem { get; private set; }
    public CaseVerificationDto? Verification { get; private set; }
    public OrgChart? Chart { get; private set; }
    public ApiProblem? CaseProblem { get; private set; }
    public List<ApiProblem> Problems { get; } = [];
    public DateTimeOffset GeneratedAt { get; private set; }

    public string Title => $"Case report {State?.CaseNumber ?? CaseId.ToString()}";

    public async Task OnGetAsync(Guid caseId, CancellationToken ct)
    {
        CaseId = caseId;
        GeneratedAt = time.GetUtcNow();
        Chart = (await directory.CurrentAsync(ct)).Value;
        var state = await api.GetAsync<AuditStateDto>(Service.Audit, $"/api/audit/cases/{caseId}/state", ct);
        if (!state.Ok)
        {
            CaseProblem = state.Problem;
            return;
        }
        State = state.Value;

        // One after the other: both read the request's token from the one HttpContext, which is not thread-safe.
        var verified = await api.GetAsync<CaseVerificationDto>(Service.Audit, $"/api/audit/cases/{caseId}/verify", ct);
        Verification = verified.Value;
        if (!verified.Ok)
            Problems.Add(verified.Problem! with { Title = $"The case could not be verified: {verified.Problem!.Title}" });
        var clocksRead = await api.GetAsync<List<ClockDto>>(Service.Escalation, $"/api/cases/{caseId}/clocks", ct);
        Clocks = clocksRead.Value ?? [];
        // Escalation knows no clocks for a case it never heard of: that is an empty list here, not an error.
        if (!clocksRead.Ok && clocksRead.Problem!.Status != 404)
            ClocksProblem = clocksRead.Problem;
    }

    public string Person(string? id) => id is null ? "" : Chart?.Person(id) is { } person ? $"{person.Name} ({id})" : id;

    public string Owner(string kind, string id) => Chart?.OwnerLabel(kind, id) ?? id;
}
