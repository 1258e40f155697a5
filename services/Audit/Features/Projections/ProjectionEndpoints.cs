using Accountability.Audit.Data;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Audit.Features.Projections;

public static class ProjectionEndpoints
{
    /// <summary>POST /api/audit/projections/{name}/rebuild (admin): name is case-state, custody or all.</summary>
    public static IEndpointRouteBuilder MapProjectionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/audit/projections/{name}/rebuild", async (string name, System.Security.Claims.ClaimsPrincipal user, AuditDatabase database, CancellationToken ct) =>
        {
            IReadOnlyCollection<string> names = name == "all" ? CaseProjections.Names : [name];
            if (!CaseProjections.Names.Contains(name) && name != "all")
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown projection",
                    detail: $"There is no projection named '{name}'. Known: {string.Join(", ", CaseProjections.Names)}, or 'all'.");
            await using var connection = await database.OpenConnectionAsync(ct);
            return Results.Ok(await CaseProjections.RebuildAsync(
                connection, async token => await database.OpenConnectionAsync(token), database.Schema, names, user.PersonId(), progress: null, ct));
        }).RequireAuthorization(Roles.Admin);
        return app;
    }
}
