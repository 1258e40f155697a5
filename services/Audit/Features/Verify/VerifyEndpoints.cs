using System.Net.Http.Headers;
using System.Net.Http.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Accountability.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Accountability.Audit.Features.Verify;

/// <summary>What verify learned from the witness outside the audit database.</summary>
public sealed record WitnessReport(string? Source, bool Checked, long? GlobalSeq, string? Problem);

public static class VerifyEndpoints
{
    public const string WitnessClient = "trail-witness";

    /// <summary>
    /// GET /api/audit/verify: 200 with valid true or false; the body says which record is bad and why, and what the
    /// witness (Audit:WitnessUrl) had seen. Pinned to Audit:TrustedPublicKeys when configured.
    /// </summary>
    public static IEndpointRouteBuilder MapVerifyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit/verify", async (HttpContext http, AuditDatabase database, IOptions<AuditOptions> options, IHttpClientFactory clients, CancellationToken ct) =>
        {
            var settings = options.Value;
            var (head, report) = await WitnessedHeadAsync(settings, database.Schema, http.Request.Headers.Authorization.ToString(), clients, ct);
            await using var connection = await database.OpenConnectionAsync(ct);
            var result = await TrailVerification.VerifyAsync(connection, settings.TrustedPublicKeys.Count > 0 ? settings.TrustedPublicKeys : null,
                progress: null, ct, head is null ? null : [head]);
            return Results.Ok(new { result.Valid, result.CheckedRecords, result.CheckedCheckpoints, result.FirstBadRecord, result.Message, witness = report });
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin));

        // One case alone: its chain, its links into the global trail, and the signed checkpoint that covers it.
        app.MapGet("/api/audit/cases/{caseId:guid}/verify", async (Guid caseId, AuditDatabase database, IOptions<AuditOptions> options, CancellationToken ct) =>
        {
            var settings = options.Value;
            await using var connection = await database.OpenConnectionAsync(ct);
            var result = await CaseVerification.VerifyAsync(connection, caseId, settings.TrustedPublicKeys.Count > 0 ? settings.TrustedPublicKeys : null, ct);
            return result is null
                ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown case", detail: $"The audit trail has no record of case {caseId}.")
                : Results.Ok(result);
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin)).RecordsCaseAccess("case-verify");
        return app;
    }

    /// <summary>The highest head the witness saw, asked with the caller's own token; never an exception.</summary>
    private static async Task<(Checkpoint? Head, WitnessReport Report)> WitnessedHeadAsync(
        AuditOptions settings, string trail, string authorization, IHttpClientFactory clients, CancellationToken ct)
    {
        if (settings.WitnessUrl is not { } url)
            return (null, new WitnessReport(null, false, null, "No witness is configured (Audit:WitnessUrl): only the database's own checkpoints were checked."));
        var source = new Uri(url, $"/api/trail-witness/{Uri.EscapeDataString(trail)}");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, source);
            if (AuthenticationHeaderValue.TryParse(authorization, out var header))
                request.Headers.Authorization = header;
            using var response = await clients.CreateClient(WitnessClient).SendAsync(request, ct);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
                return (null, new WitnessReport(source.ToString(), true, null, null)); // nothing signed yet
            if (!response.IsSuccessStatusCode)
                return (null, new WitnessReport(source.ToString(), false, null, $"The witness answered {(int)response.StatusCode}."));
            var head = (await response.Content.ReadFromJsonAsync<WitnessedHead>(ct))!;
            var checkpoint = new Checkpoint(head.GlobalSeq, Convert.FromHexString(head.Hash), head.KeyId, head.SignedAt, Convert.FromBase64String(head.Signature));
            return (checkpoint, new WitnessReport(source.ToString(), true, head.GlobalSeq, null));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or FormatException)
        {
            return (null, new WitnessReport(source.ToString(), false, null, $"The witness could not be read: {exception.Message}"));
        }
    }

    private sealed record WitnessedHead(long GlobalSeq, string Hash, string KeyId, DateTimeOffset SignedAt, string Signature);
}
