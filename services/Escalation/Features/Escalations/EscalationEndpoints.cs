using System.Globalization;
using Accountability.Escalation.Data;
using Accountability.Messaging.Database;
using Accountability.ServiceDefaults.NeedToKnow;
using Accountability.ServiceDefaults.Security;
using Dapper;

namespace Accountability.Escalation.Features.Escalations;

public sealed record EscalationView(
    Guid EscalationId, Guid CaseId, string Clock, int Level, string OwnerKind, string OwnerId, string? ToPersonId,
    string Outcome, string Source, string Reason, DateTimeOffset RaisedAt);

/// <summary>
/// GET /api/escalations: what was escalated, to whom and why, newest first, for the cases the caller may see (need-to-know,
/// asked of assignment with the caller's own token, as the clock reads do). Escalations of a case they may not see, or see
/// masked (a confidential case on the board), are left out: an escalation tells who owns the case and which deadline passed.
/// </summary>
public static class EscalationEndpoints
{
    private static readonly string[] Readers = [Roles.Supervisor, Roles.Commander, Roles.Admin, Roles.Auditor, Roles.Dispatcher];

    /// <summary>Rows read per query while filtering by sight; each page's cases are asked about in calls of up to 100.</summary>
    private const int PageSize = 200;

    /// <summary>GET /api/escalations[?caseId=&amp;limit=&amp;offset=]: what was escalated, to whom and why, newest first.</summary>
    public static IEndpointRouteBuilder MapEscalationList(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/escalations", async (string? caseId, string? limit, string? offset, HttpContext http, CaseSightClient sight,
            ServiceDatabase database, ILoggerFactory loggers, CancellationToken ct) =>
        {
            // Parsed here rather than bound, so a bad value gets a field-level reason.
            var errors = new Dictionary<string, string[]>();
            Guid? caseFilter = null;
            if (caseId is not null)
            {
                if (Guid.TryParseExact(caseId.Trim(), "D", out var parsed))
                    caseFilter = parsed;
                else
                    errors["caseId"] = ["Must be a case id (a GUID such as 01a1fe14-7485-7ba1-8d4a-0d2ba02a252a)."];
            }
            var take = 100;
            if (limit is not null && !(int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out take) && take is >= 1 and <= 500))
                errors["limit"] = ["Must be a whole number between 1 and 500."];
            var skip = 0;
            if (offset is not null && !int.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out skip))
                errors["offset"] = ["Must be a whole number, 0 or more."];
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);

            var authorization = http.Request.Headers.Authorization.ToString();
            try
            {
                var rows = caseFilter is { } one
                    ? await OfOneCaseAsync(one, take, skip, authorization, http, sight, database, ct)
                    : await OfVisibleCasesAsync(take, skip, authorization, sight, database, ct);
                return Results.Ok(rows.Select(r => new EscalationView(r.EscalationId, r.CaseId, r.Clock, r.Level, r.OwnerKind, r.OwnerId, r.ToPersonId,
                    r.Outcome, r.Source, r.Reason, DbTime.Utc(r.RaisedAt))));
            }
            catch (Exception exception) when (CaseSightClient.Unreachable(exception, ct))
            {
                loggers.CreateLogger("Accountability.Escalation.Escalations").LogWarning(exception, "Assignment could not say who may see escalated cases");
                return CaseSightClient.Unavailable("these escalations");
            }
        }).RequireAuthorization(policy => policy.RequireRole(Readers)).RecordsCaseAccess("escalations-read");
        return app;
    }

    /// <summary>
    /// One case's escalations. Sight is asked before anything is read, and a case the caller may not see answers exactly as
    /// a case with none (an empty list), so probing case ids tells nobody that a complaint exists; the access log knows.
    /// </summary>
    private static async Task<IReadOnlyList<Row>> OfOneCaseAsync(Guid caseId, int take, int skip, string authorization, HttpContext http,
        CaseSightClient sight, ServiceDatabase database, CancellationToken ct)
    {
        var seen = await sight.SightAsync(caseId, authorization, ct);
        await using var connection = await database.OpenConnectionAsync(ct);
        if (!CaseSightClient.ShowsDeadlines(seen))
        {
            if (seen == CaseSight.None && await CaseClockStore.FindCaseAsync(connection, caseId, ct) is not null)
                http.RecordCaseAccessWithheld();
            return [];
        }
        return (await connection.QueryAsync<Row>(new CommandDefinition(
            $"{Select} where case_id = @caseId order by raised_at desc, escalation_id desc limit @take offset @skip",
            new { caseId, take, skip }, cancellationToken: ct))).ToList();
    }

    /// <summary>
    /// Every case's escalations the caller may see, newest first: read a page at a time (keyset), each page's cases asked of
    /// assignment at once, so <paramref name="skip"/> and <paramref name="take"/> count only rows the caller may see.
    /// </summary>
    private static async Task<IReadOnlyList<Row>> OfVisibleCasesAsync(int take, int skip, string authorization, CaseSightClient sight,
        ServiceDatabase database, CancellationToken ct)
    {
        var kept = new List<Row>();
        var sights = new Dictionary<Guid, CaseSight>();
        var skipped = 0;
        Row? last = null;
        while (true)
        {
            List<Row> page;
            // A connection per page: it is not held while assignment is asked.
            await using (var connection = await database.OpenConnectionAsync(ct))
                page = (await connection.QueryAsync<Row>(new CommandDefinition(
                    $"""
                    {Select}
                    where @afterAt::timestamptz is null or (raised_at, escalation_id) < (@afterAt::timestamptz, @afterId::uuid)
                    order by raised_at desc, escalation_id desc limit @pageSize
                    """, new { afterAt = last?.RaisedAt, afterId = last?.EscalationId, pageSize = PageSize }, cancellationToken: ct))).ToList();
            foreach (var unknown in page.Select(r => r.CaseId).Distinct().Where(id => !sights.ContainsKey(id)).Chunk(CaseSightClient.MaxCasesPerRequest))
            {
                var answer = await sight.SightsAsync(unknown, authorization, ct);
                foreach (var id in unknown)
                    sights[id] = answer.GetValueOrDefault(id);
            }
            foreach (var row in page.Where(r => CaseSightClient.ShowsDeadlines(sights[r.CaseId])))
            {
                if (skipped < skip)
                {
                    skipped++;
                    continue;
                }
                kept.Add(row);
                if (kept.Count == take)
                    return kept;
            }
            if (page.Count < PageSize)
                return kept;
            last = page[^1];
        }
    }

    private const string Select =
        """
        select escalation_id as EscalationId, case_id as CaseId, clock as Clock, level as Level, owner_kind as OwnerKind, owner_id as OwnerId,
               to_person_id as ToPersonId, outcome as Outcome, source as Source, reason as Reason, raised_at as RaisedAt
        from escalations
        """;

    private sealed record Row(Guid EscalationId, Guid CaseId, string Clock, int Level, string OwnerKind, string OwnerId, string? ToPersonId,
        string Outcome, string Source, string Reason, DateTime RaisedAt);
}
