using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Accountability.Contracts.Intake;
using Accountability.Intake.Data;
using Accountability.Intake.Features.PublicStatus;
using Accountability.Messaging.Database;
using Dapper;

namespace Accountability.Intake.Features.Open311;

/// <summary>The GET side of GeoReport v2 service requests, read from intake's own tables.</summary>
public sealed class Open311Requests(ServiceDatabase database, Microsoft.Extensions.Options.IOptions<IntakeOptions> options,
    Microsoft.Extensions.Options.IOptions<Open311Options> open311)
{
    public const int MaxResults = 1000;
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(90);

    public sealed record Filter
    {
        public IReadOnlyList<Guid>? Ids { get; init; }
        public IReadOnlyList<string>? ServiceCodes { get; init; }
        public DateTimeOffset? Start { get; init; }
        public DateTimeOffset? End { get; init; }
        public bool? Closed { get; init; }
    }

    /// <summary>
    /// Requests matching the filter, newest first. Descriptions and locations may carry personal
    /// details, so they are shown only to callers with an API key.
    /// </summary>
    public async Task<JsonArray> FindAsync(Filter filter, bool includeDetails, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            select c.case_id as CaseId, c.category as Category, c.status as Status, c.narrative as Narrative,
                   c.location::text as Location, c.received_at as ReceivedAt, c.updated_at as UpdatedAt,
                   c.owner_kind as OwnerKind, c.owner_id as OwnerId, {ResponsibleUnitSql.UnitName} as UnitName
            from complaints c
            {ResponsibleUnitSql.Joins}
            where (@ids::uuid[] is null or c.case_id = any(@ids))
              and (@codes::text[] is null or c.category = any(@codes))
              and (@start::timestamptz is null or c.received_at >= @start)
              and (@end::timestamptz is null or c.received_at <= @end)
              and (@closed::boolean is null or (c.status = 'resolved') = @closed)
              and c.channel = any(@channels) and (@anonymous or not c.anonymous)
            order by c.received_at desc
            limit @limit
            """,
            new
            {
                ids = filter.Ids?.ToArray(),
                codes = filter.ServiceCodes?.ToArray(),
                start = filter.Start?.UtcDateTime,
                end = filter.End?.UtcDateTime,
                closed = filter.Closed,
                limit = MaxResults,
                channels = open311.Value.PublishedChannels.ToArray(),
                anonymous = open311.Value.PublishAnonymous,
            }, cancellationToken: cancellationToken));
        return new JsonArray([.. rows.Select(row => (JsonNode)ToRequest(row, includeDetails))]);
    }

    private JsonObject ToRequest(Row row, bool includeDetails)
    {
        var unit = ResponsibleUnitSql.Resolve(row.UnitName, row.OwnerKind, row.OwnerId, options.Value);
        var location = includeDetails && row.Location is not null
            ? JsonSerializer.Deserialize<ComplaintLocation>(row.Location, JsonSerializerOptions.Web)
            : null;
        var closed = row.Status == PublicStatuses.Resolved;
        return new JsonObject
        {
            ["service_request_id"] = row.CaseId.ToString(),
            ["status"] = closed ? "closed" : "open",
            ["status_notes"] = row.Status switch
            {
                PublicStatuses.Received => $"Received by {unit}.",
                PublicStatuses.Assigned => $"Under investigation by {unit}.",
                _ => $"Resolved by {unit}.",
            },
            ["service_name"] = Open311Catalogue.NameOf(row.Category),
            ["service_code"] = row.Category,
            ["description"] = includeDetails ? row.Narrative : null,
            ["agency_responsible"] = unit,
            ["service_notice"] = null,
            ["requested_datetime"] = Timestamp(row.ReceivedAt),
            ["updated_datetime"] = Timestamp(row.UpdatedAt),
            ["expected_datetime"] = null,
            ["address"] = location?.Address,
            ["address_id"] = null,
            ["zipcode"] = null,
            ["lat"] = location?.Latitude,
            ["long"] = location?.Longitude,
            ["media_url"] = null,
        };
    }

    /// <summary>W3C/ISO 8601 with an explicit offset, as the spec's examples write it.</summary>
    public static string Timestamp(DateTime utc) =>
        new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private sealed record Row(
        Guid CaseId, string Category, string Status, string Narrative, string? Location,
        DateTime ReceivedAt, DateTime UpdatedAt, string OwnerKind, string OwnerId, string? UnitName);
}
