using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.ServiceDefaults.Security;
using Dapper;

namespace Accountability.Audit.Features.Replay;

public static class ReplayEndpoints
{
    /// <summary>The case as the trail tells it: its steps, its state at any instant, its custody chain.</summary>
    public static IEndpointRouteBuilder MapReplayEndpoints(this IEndpointRouteBuilder app)
    {
        var cases = app.MapGroup("/api/audit/cases/{caseId:guid}")
            .RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin));

        cases.MapGet("/trail", async (Guid caseId, AuditDatabase database, CancellationToken ct) =>
            await LoadAsync(database, caseId, ct) is { Count: > 0 } events
                ? Results.Ok(CaseFold.Trail(caseId, events))
                : UnknownCase(caseId)).RecordsCaseAccess("trail-read");

        cases.MapGet("/state", async (Guid caseId, string? asOf, AuditDatabase database, CancellationToken ct) =>
        {
            DateTimeOffset? instant = null;
            if (asOf is not null)
            {
                if (!Instants.TryParse(asOf, out var parsed))
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["asOf"] = [Instants.Expected] });
                instant = parsed;
            }
            if (instant is null)
            {
                // The current state is the projection: what the trail says with nothing left out.
                await using var connection = await database.OpenConnectionAsync(ct);
                var state = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                    "select state::text from audit_case_state where case_id = @caseId", new { caseId }, cancellationToken: ct));
                return state is null ? UnknownCase(caseId) : Results.Content(state, "application/json");
            }
            return await LoadAsync(database, caseId, ct) is { Count: > 0 } events
                ? Results.Ok(CaseFold.StateAsOf(caseId, events, instant))
                : UnknownCase(caseId);
        }).RecordsCaseAccess("state-read");

        cases.MapGet("/custody", async (Guid caseId, AuditDatabase database, CancellationToken ct) =>
            await LoadAsync(database, caseId, ct) is { Count: > 0 } events
                ? Results.Ok(CaseFold.StateAsOf(caseId, events).Custody)
                : UnknownCase(caseId)).RecordsCaseAccess("custody-read");
        return app;
    }

    private static async Task<IReadOnlyList<TrailEvent>> LoadAsync(AuditDatabase database, Guid caseId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await TrailStore.ReadCaseAsync(connection, null, caseId, ct);
    }

    private static IResult UnknownCase(Guid caseId) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown case",
            detail: $"The audit trail has no record of case {caseId}.");
}
