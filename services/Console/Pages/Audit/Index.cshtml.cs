using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Audit;

/// <summary>The auditor's desk: open a case's trail (by number, tracking code, id or from the list), verify the whole trail, read the access log, export.</summary>
public sealed partial class IndexModel(ServiceApi api, DirectoryClient directory) : PageModel
{

    public VerificationDto? Verification { get; private set; }
    public IReadOnlyList<AccessRecordDto> AccessLog { get; private set; } = [];
    public OrgChart? Chart { get; private set; }
    public List<ApiProblem> Problems { get; } = [];
    public string? CaseError { get; private set; }
    public string? AccessUser { get; private set; }

    public async Task OnGetAsync(string? accessUser, CancellationToken ct) => await LoadAsync(accessUser, ct);

    /// <summary>The cases the trail received most recently, to open one from the list.</summary>
    public IReadOnlyList<AuditCaseSummaryDto> RecentCases { get; private set; } = [];

    public const int RecentCount = 20;

    /// <summary>What was typed in the open-a-case field, shown again with the reason next to it.</summary>
    public string? CaseQuery { get; private set; }

    /// <summary>Open a case by its number (IA-2026-00042), the complainant's tracking code, or its full id; the audit trail answers.</summary>
    public async Task<IActionResult> OnGetCaseAsync(string? caseId, CancellationToken ct)
    {
        var given = caseId?.Trim() ?? "";
        CaseQuery = given;
        if (Guid.TryParse(given, out var id))
            return Redirect($"/audit/cases/{id}");
        if (given.Length is > 0 and <= 64 && !given.Any(char.IsControl))
        {
            var byNumber = CaseNumberShape().IsMatch(given);
            var query = byNumber ? $"number={Uri.EscapeDataString(given)}" : $"trackingCode={Uri.EscapeDataString(given)}";
            var found = await api.GetAsync<List<AuditCaseSummaryDto>>(Service.Audit, $"/api/audit/cases?{query}", ct);
            if (found.Ok && found.Value is [var match, ..])
                return Redirect($"/audit/cases/{match.CaseId}");
            CaseError = found.Problem switch
            {
                // Neither a case number nor anything like a tracking code.
                { Status: 400 } when !byNumber => Expected,
                { } problem => problem.ErrorFor(byNumber ? "number" : "trackingCode") ?? problem.Message,
                null => "No case in the audit trail matches.",
            };
        }
        else
            CaseError = Expected;
        await LoadAsync(null, ct);
        return Page();
    }

    private const string Expected = "Enter a case number like IA-2026-00042, a tracking code like RPD-7K3M-Q9XD-2HRB-VN4T, or a whole case id.";

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9]{1,12}-\d{4}-\d{1,9}$")]
    private static partial System.Text.RegularExpressions.Regex CaseNumberShape();

    /// <summary>Runs verify over the whole trail: every hash link and every checkpoint signature.</summary>
    public async Task<IActionResult> OnPostVerifyAsync(CancellationToken ct)
    {
        var result = await api.GetAsync<VerificationDto>(Service.Audit, "/api/audit/verify", ct);
        Verification = result.Value;
        if (!result.Ok)
            Problems.Add(result.Problem!);
        await LoadAsync(null, ct);
        return Page();
    }

    /// <summary>The trail, passed through from the audit service as it streams it.</summary>
    public async Task<IActionResult> OnGetExportAsync(string? from, string? to, string? format, CancellationToken ct)
    {
        var query = string.Join('&', new[] { ("from", from), ("to", to), ("format", format) }
            .Where(p => !string.IsNullOrWhiteSpace(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
        var (response, problem) = await api.StreamAsync(Service.Audit, "/api/audit/export" + (query.Length > 0 ? "?" + query : ""), ct);
        if (response is null)
        {
            Problems.Add(problem!);
            await LoadAsync(null, ct);
            return Page();
        }
        HttpContext.Response.RegisterForDispose(response);
        var csv = format == "csv";
        return File(await response.Content.ReadAsStreamAsync(ct), csv ? "text/csv" : "application/jsonl",
            $"audit-trail-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssZ}.{(csv ? "csv" : "jsonl")}");
    }

    /// <summary>When a name matches several people, they are offered to choose from.</summary>
    public IReadOnlyList<(string Id, string Name)> Candidates { get; private set; } = [];

    public string? FilterMessage { get; private set; }

    private async Task LoadAsync(string? accessUser, CancellationToken ct)
    {
        AccessUser = accessUser;
        Chart = (await directory.CurrentAsync(ct)).Value;
        var recent = await api.GetAsync<List<AuditCaseSummaryDto>>(Service.Audit, $"/api/audit/cases?limit={RecentCount}", ct);
        RecentCases = recent.Value ?? [];
        if (!recent.Ok)
            Problems.Add(recent.Problem! with { Title = $"The recent cases are not shown: {recent.Problem!.Title}" });
        // A person id, or (part of) a name: auditors know people by name.
        var userId = accessUser?.Trim();
        if (!string.IsNullOrEmpty(userId) && Chart?.Person(userId) is null && !userId.StartsWith("system:", StringComparison.Ordinal) && userId != "anonymous")
        {
            var matches = (Chart?.People ?? []).Where(p => p.Name.Contains(userId, StringComparison.OrdinalIgnoreCase)).Select(p => (p.Id, p.Name)).ToList();
            if (matches.Count == 1)
                userId = matches[0].Id;
            else
            {
                Candidates = matches;
                FilterMessage = matches.Count == 0 ? $"Nobody in the directory is called \"{userId}\"." : $"{matches.Count} people match \"{userId}\": choose one.";
                return;
            }
        }
        var path = "/api/audit/access-log?limit=50" + (string.IsNullOrWhiteSpace(userId) ? "" : $"&userId={Uri.EscapeDataString(userId)}");
        var log = await api.GetAsync<List<AccessRecordDto>>(Service.Audit, path, ct);
        AccessLog = log.Value ?? [];
        if (!log.Ok)
            Problems.Add(log.Problem! with { Title = $"The access log is not shown: {log.Problem!.Title}" });
    }
}
