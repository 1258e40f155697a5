using Accountability.Audit.Data;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Audit.Features.Cases;

public static class CaseFinderEndpoints
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>
    /// GET /api/audit/cases?number=|trackingCode=&amp;limit=: the cases in the trail, the most recently received first; with a number or a
    /// tracking code, the one case that has it, or 404 naming the field. Also answers a malformed case id in any
    /// /api/audit/cases/{caseId}/... route with a 400 naming caseId, where the route alone would say only 404.
    /// </summary>
    public static IEndpointRouteBuilder MapCaseFinderEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit/cases", async (string? number, string? trackingCode, int? limit, AuditDatabase database, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            string? normalizedNumber = null, symbols = null;
            if (number is not null && trackingCode is not null)
                errors["trackingCode"] = ["Give a case number or a tracking code, not both."];
            else if (number is not null && (normalizedNumber = CaseFinder.NormalizeNumber(number)) is null)
                errors["number"] = [CaseFinder.NumberExpected];
            else if (trackingCode is not null && (symbols = CaseFinder.NormalizeTrackingCode(trackingCode)) is null)
                errors["trackingCode"] = [CaseFinder.TrackingCodeExpected];
            if (limit is < 1 or > MaxLimit)
                errors["limit"] = [$"Must be between 1 and {MaxLimit}."];
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);

            await using var connection = await database.OpenConnectionAsync(ct);
            var found = await CaseFinder.FindAsync(connection, normalizedNumber, symbols, limit ?? DefaultLimit, ct);
            if (found.Count > 0 || (normalizedNumber is null && symbols is null))
                return Results.Ok(found);
            // The typed code is not repeated back: it is the complainant's key to the public status page.
            var (field, reason) = normalizedNumber is not null
                ? ("number", $"No case in the audit trail has the number {normalizedNumber}.")
                : ("trackingCode", "No case in the audit trail has this tracking code.");
            return Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [reason] },
                statusCode: StatusCodes.Status404NotFound, title: "Unknown case");
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin)).RecordsCaseAccess("case-list");

        // Only reached when no route of a well-formed case id matched (literal segments take precedence).
        app.MapGet("/api/audit/cases/{caseId}/{**rest}", (string caseId) => Guid.TryParse(caseId, out _)
                ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "The audit service has no such route for a case.")
                : Results.ValidationProblem(new Dictionary<string, string[]>
                    { ["caseId"] = ["Must be a case id: 32 hexadecimal digits in the form 6f1c2a9e-0b4d-4e6a-9c1f-2d3b4a5c6d7e."] }))
            .RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin));
        return app;
    }
}
