using System.Text.Json;
using Dapper;
using Npgsql;

namespace Accountability.Audit.Features.Transparency;

/// <summary>What the figures need to know of one case, read from its recorded events. No names, badges or free text.</summary>
public sealed record CaseFacts
{
    public required Guid CaseId { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required string Category { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }
    public DateTimeOffset? ContactedAt { get; init; }

    /// <summary>The last resolution, when no reopen came after it.</summary>
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>The finding of each allegation at the last resolution (only when resolved).</summary>
    public IReadOnlyList<string> Findings { get; init; } = [];

    /// <summary>The unit routing last chose; null before routing.</summary>
    public string? UnitId { get; init; }

    public IReadOnlyList<string> BreachedClocks { get; init; } = [];
    public bool Escalated { get; init; }

    /// <summary>The complainant's answer (1 to 5) and the unit it was about, when they answered.</summary>
    public int? Satisfaction { get; init; }
    public string? SatisfactionUnitId { get; init; }
}

/// <summary>
/// Reads <see cref="CaseFacts"/> from the trail: one pass over the events of the cases received in a window
/// (found through the ComplaintReceived index, then each case through its chain's index).
/// </summary>
public static class CaseFactsReader
{
    public static async Task<IReadOnlyList<CaseFacts>> ReadAsync(NpgsqlConnection connection, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            with received as (
                select distinct on (case_id) case_id, occurred_at as received_at, coalesce(body->>'category', 'other') as category
                from audit_events
                where type = 'ComplaintReceived' and occurred_at >= @from and occurred_at < @to and case_id is not null
                order by case_id, global_seq
            )
            select r.case_id as CaseId, r.received_at as ReceivedAt, r.category as Category,
                   min(e.occurred_at) filter (where e.type = 'CaseAcknowledged') as AcknowledgedAt,
                   min(e.occurred_at) filter (where e.type = 'ComplainantContacted') as ContactedAt,
                   max(e.occurred_at) filter (where e.type = 'CaseResolved') as ResolvedAt,
                   max(e.occurred_at) filter (where e.type = 'CaseReopened') as ReopenedAt,
                   ((array_agg(e.body->'findings' order by e.occurred_at desc, e.case_seq desc) filter (where e.type = 'CaseResolved'))[1])::text as Findings,
                   (array_agg(e.body->>'unitId' order by e.occurred_at desc, e.case_seq desc) filter (where e.type = 'CaseRouted'))[1] as UnitId,
                   coalesce(string_agg(distinct e.body->>'clock', ',') filter (where e.type = 'SlaBreached'), '') as BreachedClocks,
                   count(*) filter (where e.type = 'EscalationRaised') > 0 as Escalated,
                   (array_agg(e.body->>'answer' order by e.case_seq desc) filter (where e.type = 'SatisfactionRecorded'))[1] as Satisfaction,
                   (array_agg(e.body->>'unitId' order by e.case_seq desc) filter (where e.type = 'SatisfactionRecorded'))[1] as SatisfactionUnitId
            from received r
            join audit_events e on e.case_id = r.case_id
            group by r.case_id, r.received_at, r.category
            """, new { from, to }, cancellationToken: ct));
        return [.. rows.Select(r =>
        {
            var resolved = r.ResolvedAt is { } at && (r.ReopenedAt is null || r.ReopenedAt < at) ? Utc(at) : (DateTimeOffset?)null;
            return new CaseFacts
            {
                CaseId = r.CaseId,
                ReceivedAt = Utc(r.ReceivedAt),
                Category = r.Category,
                AcknowledgedAt = r.AcknowledgedAt is { } a ? Utc(a) : null,
                ContactedAt = r.ContactedAt is { } c ? Utc(c) : null,
                ResolvedAt = resolved,
                Findings = resolved is null ? [] : FindingsOf(r.Findings),
                UnitId = r.UnitId,
                BreachedClocks = r.BreachedClocks.Split(',', StringSplitOptions.RemoveEmptyEntries),
                Escalated = r.Escalated,
                Satisfaction = int.TryParse(r.Satisfaction, out var answer) && answer is >= 1 and <= 5 ? answer : null,
                SatisfactionUnitId = r.SatisfactionUnitId,
            };
        })];
    }

    /// <summary>Unit id → name, from the newest directory in the trail (unit names are public; people are never read).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> UnitNamesAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var body = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select body::text from audit_events where type = 'DirectoryPublished' order by global_seq desc limit 1", cancellationToken: ct));
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body is null)
            return names;
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.TryGetProperty("directory", out var directory) && directory.TryGetProperty("units", out var units) && units.ValueKind == JsonValueKind.Array)
            foreach (var unit in units.EnumerateArray())
                if (unit.TryGetProperty("id", out var id) && unit.TryGetProperty("name", out var name) && id.GetString() is { } key)
                    names[key] = name.GetString() ?? key;
        return names;
    }

    /// <summary>Open cases now, by the unit routing last chose ("" before routing): the staff dashboard's open load.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> OpenLoadAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(string UnitId, long Open)>(new CommandDefinition(
            """
            select coalesce((select e.body->>'unitId' from audit_events e
                             where e.case_id = s.case_id and e.type = 'CaseRouted' order by e.case_seq desc limit 1), '') as UnitId,
                   count(*) as Open
            from audit_case_state s
            where s.state->>'status' in ('open', 'received')
            group by 1
            """, cancellationToken: ct));
        return rows.ToDictionary(r => r.UnitId, r => r.Open, StringComparer.Ordinal);
    }

    private static DateTimeOffset Utc(DateTime instant) => new(DateTime.SpecifyKind(instant, DateTimeKind.Utc));

    private static IReadOnlyList<string> FindingsOf(string? json)
    {
        if (json is null)
            return [];
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind != JsonValueKind.Array ? [] :
            [.. document.RootElement.EnumerateArray()
                .Select(f => f.TryGetProperty("finding", out var finding) ? finding.GetString() : null).OfType<string>()];
    }

    /// <summary>Dapper reads timestamptz as a UTC DateTime.</summary>
    private sealed record Row(
        Guid CaseId, DateTime ReceivedAt, string Category, DateTime? AcknowledgedAt, DateTime? ContactedAt, DateTime? ResolvedAt, DateTime? ReopenedAt,
        string? Findings, string? UnitId, string BreachedClocks, bool Escalated, string? Satisfaction, string? SatisfactionUnitId);
}
