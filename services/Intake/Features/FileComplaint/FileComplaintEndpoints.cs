using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Intake.Features.FileComplaint;

public static class FileComplaintEndpoints
{
    public const string PublicFilingRateLimit = "public-filing";

    public static IEndpointRouteBuilder MapFileComplaint(this IEndpointRouteBuilder endpoints)
    {
        // Staff file for phone and walk-in complainants; retries are keyed per clerk.
        endpoints.MapPost("/api/complaints", (HttpContext http, ComplaintSubmission submission, CancellationToken cancellationToken) =>
                FileAsync(http, submission, FilingRules.Staff,
                    new FilingCaller(http.User.PersonId(), $"staff:{http.User.PersonId()}"), cancellationToken))
            .RequireAuthorization(policy => policy.RequireAuthenticatedUser().RequireRole(Roles.IntakeClerk, Roles.Dispatcher, Roles.Admin));

        // The public files through the web form, anonymously if they wish; retries are keyed per client address.
        endpoints.MapPost("/api/public/complaints", (HttpContext http, ComplaintSubmission submission, CancellationToken cancellationToken) =>
                FileAsync(http, submission, FilingRules.PublicWeb,
                    new FilingCaller(FilingCaller.PublicWebActor, $"public:{http.Connection.RemoteIpAddress}"), cancellationToken))
            .AllowAnonymous()
            .RequireClientRateLimit(PublicFilingRateLimit);
        return endpoints;
    }

    private static async Task<IResult> FileAsync(
        HttpContext http, ComplaintSubmission submission, FilingRules rules, FilingCaller caller, CancellationToken cancellationToken)
    {
        var body = await JsonRequestBody.ReadAsync<FileComplaintRequest>(http.Request, cancellationToken: cancellationToken);
        if (!body.IsValid)
            return body.Problem!;

        var key = http.Request.Headers[ComplaintSubmission.IdempotencyKeyHeader].ToString();
        var result = await submission.SubmitAsync(body.Value!, rules, caller, key.Length == 0 ? null : key, cancellationToken);
        if (result.Errors is { Count: > 0 } errors)
            return Results.ValidationProblem(errors, title: "The complaint is not valid.");
        if (result.KeyReusedWithDifferentBody)
            return Results.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Idempotency-Key reused",
                detail: "This Idempotency-Key was already used for a different complaint. Use a new key for a new complaint.");
        return Results.Created(result.Receipt!.StatusUrl, result.Receipt);
    }
}
