using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Replay;
using Accountability.ServiceDefaults.Security;
using Dapper;

namespace Accountability.Audit.Features.AccessLog;

/// <summary>
/// GET /api/audit/access-log: who read (or was refused) case data, through which service, when, and
/// with what outcome (CJIS §5.4.1.1). The records are CaseDataAccessed events in the hash-chained
/// global trail, so the access log is as tamper-evident as the custody chain; they stay out of the
/// per-case chains, which hold only the steps of a case's life.
/// </summary>
public static class AccessLogEndpoints
{
    public static IEndpointRouteBuilder MapAccessLogEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit/access-log", async (Guid? caseId, string? userId, string? from, string? to, int? limit, AuditDatabase database, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            DateTimeOffset? fromAt = null, toAt = null;
            if (from is not null)
            {
                if (Instants.TryParse(from, out var parsed)) fromAt = parsed;
                else errors["from"] = [Instants.Expected];
            }
            if (to is not null)
            {
                if (Instants.TryParse(to, out var parsed)) toAt = parsed;
                else errors["to"] = [Instants.Expected];
            }
            if (fromAt > toAt)
                errors["from"] = ["Must not be later than 'to'."];
            if (limit is < 1 or > 1000)
                errors["limit"] = ["Must be between 1 and 1000."];
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);

            await using var connection = await database.OpenConnectionAsync(ct);
            var rows = await connection.QueryAsync<string>(new CommandDefinition(
                """
                select body::text from audit_events
                where type = 'CaseDataAccessed'
                  and (@caseId::text is null or body->>'caseId' = @caseId)
                  and (@userId::text is null or body->>'userId' = @userId)
                  and (@fromAt::timestamptz is null or occurred_at >= @fromAt)
                  and (@toAt::timestamptz is null or occurred_at < @toAt)
                order by occurred_at desc, global_seq desc
                limit @limit
                """, new { caseId = caseId?.ToString(), userId, fromAt, toAt, limit = limit ?? 200 }, cancellationToken: ct));
            return Results.Ok(rows.Select(body => JsonDocument.Parse(body).RootElement.Clone()));
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin));
        return app;
    }
}
