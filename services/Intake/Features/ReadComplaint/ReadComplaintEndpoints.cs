using System.Text.Json;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Database;
using Accountability.ServiceDefaults.NeedToKnow;
using Accountability.ServiceDefaults.Privacy;
using Accountability.ServiceDefaults.Security;
using Accountability.ServiceDefaults.Telemetry;
using Dapper;

namespace Accountability.Intake.Features.ReadComplaint;

/// <summary>
/// A complaint as filed, for staff. Never the tracking code: it is the complainant's key to the
/// public status page. <see cref="Complainant"/> is null unless <see cref="ContactVisible"/>.
/// </summary>
public sealed record ComplaintView(
    Guid CaseId, string Category, string Channel, string? District, DateTimeOffset? OccurredAt, ComplaintLocation? Location,
    string Narrative, IReadOnlyList<string> SubjectOfficerBadges, IReadOnlyList<ReceivedAllegation> Allegations, bool Anonymous,
    DateTimeOffset ReceivedAt, string FiledBy, bool ContactVisible, ComplainantContact? Complainant, string? CaseNumber = null);

public static class ReadComplaintEndpoints
{
    public const string ReadEvent = "complaint-read";

    /// <summary>The access-log event of a read that unsealed the contact, so the log shows who saw personal data.</summary>
    public const string ContactReadEvent = "complaint-contact-read";

    private static readonly string[] Readers = [.. Roles.CaseWorkers, Roles.Auditor];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapReadComplaint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/complaints/{caseId:guid}", ReadAsync)
            .RequireAuthorization(policy => policy.RequireRole(Readers))
            .RecordsCaseAccess(ReadEvent);
        return endpoints;
    }

    private static async Task<IResult> ReadAsync(
        Guid caseId, HttpContext http, ServiceDatabase database, ContactProtector protector, CaseSightClient sight, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        System.Diagnostics.Activity.Current.TagCase(caseId, ReadEvent);
        CaseSight seen;
        try
        {
            seen = await sight.SightAsync(caseId, http.Request.Headers.Authorization.ToString(), cancellationToken);
        }
        catch (Exception exception) when (CaseSightClient.Unreachable(exception, cancellationToken))
        {
            loggers.CreateLogger("Accountability.Intake.ReadComplaint").LogWarning(exception, "Assignment could not say who may read case {CaseId}", caseId);
            return CaseSightClient.Unavailable("this complaint");
        }
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ComplaintRow>(new CommandDefinition(
            """
            select case_id as CaseId, case_number as CaseNumber, category as Category, channel as Channel, district as District, occurred_at as OccurredAt,
                   location::text as Location, narrative as Narrative, subject_officer_badges as SubjectOfficerBadges,
                   allegations::text as Allegations, anonymous as Anonymous, complainant_sealed::text as ComplainantSealed,
                   received_at as ReceivedAt, filed_by as FiledBy
            from complaints where case_id = @caseId
            """, new { caseId }, cancellationToken: cancellationToken));
        if (row is null || seen == CaseSight.None)
        {
            if (row is not null)
                http.RecordCaseAccessWithheld();
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such complaint", detail: $"There is no complaint {caseId} that you may see.");
        }
        // Dispatchers and admins see the board (masked or not); the narrative and the complainant are not theirs to read.
        if (seen != CaseSight.Full)
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not for the board",
                detail: "The complaint's narrative and complainant are for those who work the case; the board shows its number, category, owner and deadlines.");

        ComplainantContact? contact = null;
        if (row.ComplainantSealed is not null && http.User.HasAnyRole([.. Roles.ContactReaders]))
        {
            var sealedContact = JsonSerializer.Deserialize<SealedContact>(row.ComplainantSealed, Json)!;
            try
            {
                contact = protector.Unseal(sealedContact.KeyId, sealedContact.Ciphertext);
                http.RecordCaseAccessAs(ContactReadEvent);
            }
            catch (ContactProtectionException exception)
            {
                // The complaint is still worth reading without the contact; a missing key is for operators to fix.
                // The exception's message never holds plaintext.
                loggers.CreateLogger("Accountability.Intake.ReadComplaint")
                    .LogError(exception, "The contact of case {CaseId} could not be unsealed", caseId);
            }
        }

        return Results.Ok(new ComplaintView(
            row.CaseId, row.Category, row.Channel, row.District, row.OccurredAt is { } occurredAt ? Utc(occurredAt) : null,
            row.Location is null ? null : JsonSerializer.Deserialize<ComplaintLocation>(row.Location, Json),
            row.Narrative, row.SubjectOfficerBadges,
            JsonSerializer.Deserialize<List<ReceivedAllegation>>(row.Allegations, Json) ?? [],
            row.Anonymous, Utc(row.ReceivedAt), row.FiledBy, contact is not null, contact, row.CaseNumber));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    // Settable properties rather than a constructor: Dapper hands text[] over as System.Array, which no constructor matches.
    private sealed record ComplaintRow
    {
        public required Guid CaseId { get; init; }
        public string? CaseNumber { get; init; }
        public required string Category { get; init; }
        public required string Channel { get; init; }
        public string? District { get; init; }
        public DateTime? OccurredAt { get; init; }
        public string? Location { get; init; }
        public required string Narrative { get; init; }
        public string[] SubjectOfficerBadges { get; init; } = [];
        public required string Allegations { get; init; }
        public bool Anonymous { get; init; }
        public string? ComplainantSealed { get; init; }
        public DateTime ReceivedAt { get; init; }
        public required string FiledBy { get; init; }
    }
}
