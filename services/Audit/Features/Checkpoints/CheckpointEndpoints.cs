using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Audit.Features.Checkpoints;

public static class CheckpointEndpoints
{
    public static IEndpointRouteBuilder MapCheckpointEndpoints(this IEndpointRouteBuilder app)
    {
        // Public on purpose: a third party checks checkpoints with this key and no access to the database.
        app.MapGet("/api/audit/public-key", async (SigningKeyRing keys, CancellationToken ct) =>
        {
            var key = await keys.GetActiveAsync(ct);
            return Results.Ok(new
            {
                keyId = key.KeyId,
                algorithm = "ECDSA P-256, SHA-256, DER signature",
                publicKeyPem = key.PublicKeyPem,
                signedPayload = "{\"globalSeq\":N,\"hash\":\"<hex>\",\"keyId\":\"<id>\",\"signedAt\":\"yyyy-MM-ddTHH:mm:ss.ffffffZ\"}",
            });
        }).AllowAnonymous();

        // The signed heads themselves, so an exported trail can be checked against them offline.
        app.MapGet("/api/audit/checkpoints", async (AuditDatabase database, CancellationToken ct) =>
        {
            await using var connection = await database.OpenConnectionAsync(ct);
            var checkpoints = await TrailStore.ReadCheckpointsAsync(connection, null, ct);
            return Results.Ok(checkpoints.Select(c => new
            {
                c.GlobalSeq,
                hash = ChainHash.Hex(c.Hash),
                c.KeyId,
                signedAt = ChainHash.Instant(c.SignedAt),
                signature = Convert.ToBase64String(c.Signature),
            }));
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin));
        return app;
    }
}
