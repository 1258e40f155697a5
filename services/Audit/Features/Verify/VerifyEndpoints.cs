using Accountability.Audit.Data;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Audit.Features.Verify;

public static class VerifyEndpoints
{
    /// <summary>GET /api/audit/verify: 200 with valid true or false; the body says which record is bad and why.</summary>
    public static IEndpointRouteBuilder MapVerifyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit/verify", async (AuditDatabase database, CancellationToken ct) =>
        {
            await using var connection = await database.OpenConnectionAsync(ct);
            return Results.Ok(await TrailVerification.VerifyAsync(connection, trustedKeys: null, progress: null, ct));
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin));
        return app;
    }
}
