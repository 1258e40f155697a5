using Accountability.Escalation.Data;
using Accountability.Messaging.Database;
using Accountability.ServiceDefaults.Security;
using Dapper;

namespace Accountability.Escalation.Features.Escalations;

public sealed record EscalationView(
    Guid EscalationId, Guid CaseId, string Clock, int Level, string OwnerKind, string OwnerId, string? ToPersonId,
    string Outcome, string Source, string Reason, DateTimeOffset RaisedAt);

public static class EscalationEndpoints
{
    private static readonly string[] Readers = [Roles.Supervisor, Roles.Commander, Roles.Admin, Roles.Auditor, Roles.Dispatcher];

    /// <summary>GET /api/escalations[?caseId=&amp;limit=&amp;offset=]: what was escalated, to whom and why, newest first.</summary>
    public static IEndpointRouteBuilder MapEscalationList(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/escalations", async (Guid? caseId, int? limit, int? offset, ServiceDatabase database, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (limit is < 1 or > 500)
                errors["limit"] = ["Must be between 1 and 500."];
            if (offset is < 0)
                errors["offset"] = ["Must not be negative."];
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);
            await using var connection = await database.OpenConnectionAsync(ct);
            var rows = await connection.QueryAsync<Row>(new CommandDefinition(
                """
                select escalation_id as EscalationId, case_id as CaseId, clock as Clock, level as Level, owner_kind as OwnerKind, owner_id as OwnerId,
                       to_person_id as ToPersonId, outcome as Outcome, source as Source, reason as Reason, raised_at as RaisedAt
                from escalations where (@caseId::uuid is null or case_id = @caseId)
                order by raised_at desc, escalation_id desc limit @limit offset @offset
                """, new { caseId, limit = limit ?? 100, offset = offset ?? 0 }, cancellationToken: ct));
            return Results.Ok(rows.Select(r => new EscalationView(r.EscalationId, r.CaseId, r.Clock, r.Level, r.OwnerKind, r.OwnerId, r.ToPersonId,
                r.Outcome, r.Source, r.Reason, DbTime.Utc(r.RaisedAt))));
        }).RequireAuthorization(policy => policy.RequireRole(Readers));
        return app;
    }

    private sealed record Row(Guid EscalationId, Guid CaseId, string Clock, int Level, string OwnerKind, string OwnerId, string? ToPersonId,
        string Outcome, string Source, string Reason, DateTime RaisedAt);
}
