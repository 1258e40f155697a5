using Accountability.Console.Backend;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Officers;

public sealed record OfficerAllegationDto(Guid CaseId, string? CaseNumber, string AllegationId, string Type, DateTimeOffset CountedAt, string? Finding, DateTimeOffset? FindingAt);

public sealed record EarlyWarningCaseDto(Guid CaseId, string? CaseNumber, IReadOnlyList<string> AllegationIds);

public sealed record EarlyWarningDto(
    Guid WarningId, string OfficerBadge, string PolicyId, int PolicyVersion, string Reason, DateTimeOffset OccurredAt, int CaseCount,
    IReadOnlyList<EarlyWarningCaseDto>? Cases, string? Intervention, string? AcknowledgedBy, DateTimeOffset? AcknowledgedAt, string? Acknowledgement,
    string? OfficerPersonId = null);

public sealed record OfficerHistoryDto(string Badge, string? PersonId, string? Name, string? UnitId, IReadOnlyList<OfficerAllegationDto> Allegations, IReadOnlyList<EarlyWarningDto> Warnings);

/// <summary>One line of the officer's timeline.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string Kind, Guid? CaseId, string? CaseNumber, string What);

/// <summary>
/// An officer's history over time (issue 16): complaints and their allegations, findings, early warnings and the
/// interventions recorded. Escalation decides who may read it (internal-affairs command and auditors, never about
/// themselves) and logs every read; the console only shows its answer.
/// </summary>
public sealed class HistoryModel(ServiceApi api, DirectoryClient directory, Microsoft.Extensions.Options.IOptions<ConsoleOptions> options) : PageModel
{
    /// <summary>An instant in the department's time zone, in words, as on every other staff page.</summary>
    public string Local(DateTimeOffset instant) => options.Value.InWords(instant);

    public string Badge { get; private set; } = "";
    public OfficerHistoryDto? History { get; private set; }
    public IReadOnlyList<HistoryEntry> Timeline { get; private set; } = [];
    public OrgChart? Chart { get; private set; }
    public ApiProblem? Problem { get; private set; }

    public async Task<IActionResult> OnGetAsync(string badge, CancellationToken ct)
    {
        Badge = badge.Trim();
        var history = await api.GetAsync<OfficerHistoryDto>(Service.Escalation, $"/api/officers/{Uri.EscapeDataString(Badge)}/history", ct);
        if (history.Problem is { Status: 403 })
            return Forbid();
        if (!history.Ok)
        {
            Problem = history.Problem;
            return Page();
        }
        History = history.Value!;
        var chart = await directory.CurrentAsync(ct);
        Chart = chart.Ok ? chart.Value : null;
        var entries = new List<HistoryEntry>();
        foreach (var complaint in History.Allegations.GroupBy(a => (a.CaseId, a.CaseNumber, a.CountedAt)))
            entries.Add(new(complaint.Key.CountedAt, "complaint", complaint.Key.CaseId, complaint.Key.CaseNumber,
                $"Allegation{(complaint.Count() == 1 ? "" : "s")}: {string.Join(", ", complaint.Select(a => a.Type))}"));
        foreach (var finding in History.Allegations.Where(a => a is { Finding: not null, FindingAt: not null }))
            entries.Add(new(finding.FindingAt!.Value, "finding", finding.CaseId, finding.CaseNumber, $"Finding on the {finding.Type} allegation: {finding.Finding}"));
        foreach (var warning in History.Warnings)
        {
            entries.Add(new(warning.OccurredAt, "warning", null, null, $"Early warning ({warning.PolicyId} v{warning.PolicyVersion}): {warning.Reason}"));
            if (warning is { Intervention: { } intervention, AcknowledgedAt: { } at })
                entries.Add(new(at, "intervention", null, null,
                    $"Intervention: {intervention}, recorded by {(warning.AcknowledgedBy is { } by ? Chart?.PersonName(by) ?? by : "?")}" +
                    (string.IsNullOrWhiteSpace(warning.Acknowledgement) ? "" : $": {warning.Acknowledgement}")));
        }
        Timeline = [.. entries.OrderBy(e => e.At).ThenBy(e => e.Kind, StringComparer.Ordinal)];
        return Page();
    }
}
