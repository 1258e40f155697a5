using Accountability.Intake.Features.FileComplaint;
using Accountability.Messaging.Database;
using Accountability.ServiceDefaults.NeedToKnow;
using Accountability.ServiceDefaults.Privacy;
using Accountability.ServiceDefaults.Security;
using Accountability.ServiceDefaults.Telemetry;
using Dapper;
using Microsoft.Extensions.Options;

namespace Accountability.Intake.Features.SearchComplaints;

/// <summary>One case a search found: what assignment's list needs to show it (GET /api/cases?ids=).</summary>
public sealed record FoundComplaint(Guid CaseId, string? CaseNumber);

/// <summary>
/// Staff find a case by what only intake knows: the tracking code a complainant reads out on the phone, or the
/// complainant's name. Intake finds the candidates, then asks assignment, with the caller's own token, which of them
/// the caller may see (need-to-know stays one rule, as for reading a complaint): by tracking code, any case they may
/// see; by name, only cases they see in full, and only for the roles that may read a complainant's contact.
/// Nobody learns that a case they may not see exists: it is simply not in the answer.
/// </summary>
public static class SearchComplaintEndpoints
{
    public const string SearchEvent = "complaint-search";

    /// <summary>Enough for any real name; more candidates than this are cut, newest kept.</summary>
    private const int MaxCandidates = 25;
    private const int MaxNameLength = 200;

    public static IEndpointRouteBuilder MapSearchComplaints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/complaints", SearchAsync)
            .RequireAuthorization(policy => policy.RequireRole(Roles.CaseWorkers))
            .RecordsCaseAccess(SearchEvent);
        return endpoints;
    }

    private static async Task<IResult> SearchAsync(
        string? trackingCode, string? complainantName, HttpContext http, ServiceDatabase database, ContactProtector protector,
        CaseSightClient sight, IOptions<IntakeOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        string? symbols = null;
        IReadOnlyList<(string KeyId, byte[] Index)> nameIndexes = [];
        if ((trackingCode is null) == (complainantName is null))
            errors["trackingCode"] = ["Give a tracking code or a complainant's name (complainantName), one of the two."];
        else if (trackingCode is not null && (symbols = TrackingCodes.Normalize(trackingCode, options.Value.TrackingCodePrefix)) is null)
            errors["trackingCode"] = [$"A tracking code has 16 letters and digits, e.g. {options.Value.TrackingCodePrefix}-7K3M-Q9XD-2HRB-VN4T."];
        else if (complainantName is { Length: > MaxNameLength })
            errors["complainantName"] = [$"At most {MaxNameLength} characters."];
        else if (complainantName is not null && complainantName.Any(char.IsControl))
            errors["complainantName"] = ["Must be one line of text."];
        else if (complainantName is not null && (nameIndexes = protector.NameIndexes(complainantName)).Count == 0)
            errors["complainantName"] = ["Give the complainant's name as they gave it, e.g. Pat Rivera."];
        if (errors.Count > 0)
            return Results.ValidationProblem(errors);

        var byName = complainantName is not null;
        if (byName && !http.User.HasAnyRole([.. Roles.ContactReaders]))
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not for your role",
                detail: "Searching by the complainant's name is for those who may read the complainant's contact: intake clerks, investigators, supervisors and commanders.");

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var candidates = (byName
            ? await connection.QueryAsync<FoundComplaint>(new CommandDefinition(
                """
                select case_id as CaseId, case_number as CaseNumber from complaints
                where complainant_name_index = any(@indexes) order by received_at desc limit @MaxCandidates
                """, new { indexes = nameIndexes.Select(i => i.Index).ToArray(), MaxCandidates }, cancellationToken: cancellationToken))
            : await connection.QueryAsync<FoundComplaint>(new CommandDefinition(
                "select case_id as CaseId, case_number as CaseNumber from complaints where tracking_hash = @hash",
                new { hash = TrackingCodes.LookupHash(symbols!) }, cancellationToken: cancellationToken))).ToList();

        var found = new List<FoundComplaint>();
        try
        {
            foreach (var candidate in candidates)
            {
                var seen = await sight.SightAsync(candidate.CaseId, http.Request.Headers.Authorization.ToString(), cancellationToken);
                if (seen == CaseSight.Full || (seen != CaseSight.None && !byName))
                    found.Add(candidate);
            }
        }
        catch (Exception exception) when (CaseSightClient.Unreachable(exception, cancellationToken))
        {
            loggers.CreateLogger("Accountability.Intake.SearchComplaints").LogWarning(exception, "Assignment could not say who may see the cases a search found");
            return CaseSightClient.Unavailable("the cases found");
        }
        return Results.Ok(found);
    }
}
