using Accountability.Audit.Data;
using Accountability.Audit.Features.Replay;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Audit.Features.Export;

public static class ExportEndpoints
{
    /// <summary>GET /api/audit/export?from=&amp;to=&amp;format=jsonl|csv: records recorded in [from, to), streamed.</summary>
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

            var chosen = format ?? "jsonl";
            http.Response.ContentType = chosen == "csv" ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8";
            await using var connection = await database.OpenConnectionAsync(ct);
            await using var writer = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false));
            await TrailExport.WriteAsync(connection, chosen, fromInstant, toInstant, writer, progress: null, ct);
            await writer.FlushAsync(ct);
            return Results.Empty;
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin));
        return app;
    }
}
