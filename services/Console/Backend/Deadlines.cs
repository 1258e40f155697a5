namespace Accountability.Console.Backend;

/// <summary>How close a case is to slipping, as the board colours it.</summary>
public enum Urgency { Normal, Warning, Overdue }

/// <summary>The next deadline of a case: the running clock that falls due first.</summary>
public sealed record NextDeadline(string Clock, DateTimeOffset DueAt, double? ElapsedPercent);

public static class Deadlines
{
    /// <summary>The share of a clock's budget after which the board shows amber (the second warning of the escalation policy).</summary>
    public const double WarningPercent = 75;

    public static NextDeadline? Next(IReadOnlyList<ClockDto>? clocks) =>
        clocks?.Where(c => c.State is "running" or "breached" && c.DueAt is not null)
            .OrderBy(c => c.DueAt)
            .Select(c => new NextDeadline(c.Clock, c.DueAt!.Value, c.ElapsedPercent))
            .FirstOrDefault();

    /// <summary>Red once any clock has breached (or assignment marks the case overdue), amber past 75% of any running clock.</summary>
    public static Urgency Of(bool overdue, IReadOnlyList<ClockDto>? clocks, DateTimeOffset now)
    {
        if (overdue || clocks?.Any(c => c.State == "breached" || (c.State == "running" && c.DueAt <= now)) == true)
            return Urgency.Overdue;
        return clocks?.Any(c => c.State == "running" && c.ElapsedPercent >= WarningPercent) == true ? Urgency.Warning : Urgency.Normal;
    }

    /// <summary>Plain names for the clocks.</summary>
    public static string Label(string clock) => clock switch
    {
        "acknowledge" => "Acknowledge",
        "handoff-accept" => "Accept handoff",
        "first-contact" => "Contact complainant",
        "resolution" => "Resolve",
        "statutory" => "Statutory limit",
        _ => clock,
    };

    /// <summary>The clocks of many cases in one request (the escalation service takes up to 100 at a time).</summary>
    public static async Task<ApiResult<Dictionary<Guid, IReadOnlyList<ClockDto>>>> ForCasesAsync(ServiceApi api, IEnumerable<Guid> caseIds, CancellationToken ct)
    {
        var result = new Dictionary<Guid, IReadOnlyList<ClockDto>>();
        foreach (var batch in caseIds.Distinct().Chunk(100))
        {
            var page = await api.GetAsync<List<CaseClocksDto>>(Service.Escalation, $"/api/clocks?caseIds={string.Join(',', batch)}", ct);
            if (!page.Ok)
                return new(result, page.Problem);
            foreach (var entry in page.Value ?? [])
                result[entry.CaseId] = entry.Clocks;
        }
        return new(result, null);
    }
}
