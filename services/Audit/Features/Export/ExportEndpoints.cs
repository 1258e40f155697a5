using Accountability.Audit.Data;
using Accountability.Audit.Features.Replay;
using Accountability.ServiceDefaults.Security;
using Dapper;

namespace Accountability.Audit.Features.Export;

public static class ExportEndpoints
{
    /// <summary>
    /// GET /api/audit/export?from=&amp;to=&amp;format=jsonl|csv: records recorded in [from, to), streamed.
    /// GET /api/audit/cases/{caseId}/export?format=: one case's records (its chain), the same columns.
    /// </summary>
    public static IEndpointRouteBuilder MapExportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit/export", async (HttpContext http, string? from, string? to, string? format, AuditDatabase database, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            var fromInstant = Instants.ParseOptional(from, "from", errors);
            var toInstant = Instants.ParseOptional(to, "to", errors);
            foreach (var (field, messages) in TrailExport.Validate(format ?? "jsonl", fromInstant, toInstant) ?? [])
                errors.TryAdd(field, messages);
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);
            await StreamAsync(http, database, format ?? "jsonl", fromInstant, toInstant, null, ct);
            return Results.Empty;
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin));

        app.MapGet("/api/audit/cases/{caseId:guid}/export", async (HttpContext http, Guid caseId, string? format, AuditDatabase database, CancellationToken ct) =>
        {
            if (TrailExport.Validate(format ?? "jsonl", null, null) is { } errors)
                return Results.ValidationProblem(errors);
            await using (var connection = await database.OpenConnectionAsync(ct))
            {
                if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                        "select exists (select 1 from audit_events where case_id = @caseId)", new { caseId }, cancellationToken: ct)))
                    return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown case",
                        detail: $"The audit trail has no record of case {caseId}.");
            }
            await StreamAsync(http, database, format ?? "jsonl", null, null, caseId, ct);
            return Results.Empty;
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin)).RecordsCaseAccess("case-export");
        return app;
    }

    private static async Task StreamAsync(HttpContext http, AuditDatabase database, string format, DateTimeOffset? from, DateTimeOffset? to, Guid? caseId, CancellationToken ct)
    {
        http.Response.ContentType = format == "csv" ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8";
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var writer = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false));
        await TrailExport.WriteAsync(connection, format, from, to, writer, progress: null, ct, caseId);
        await writer.FlushAsync(ct);
    }
}
