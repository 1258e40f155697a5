using System.Security.Cryptography;
using Accountability.Intake.Data;
using Accountability.Intake.Features.FileComplaint;
using Accountability.ServiceDefaults.Http;
using Accountability.Messaging.Database;
using Dapper;
using Microsoft.Extensions.Options;

namespace Accountability.Intake.Features.PublicStatus;

public static class PublicStatusEndpoints
{
    public const string PublicStatusRateLimit = "public-status";

    /// <summary>Compared against on a miss, so a miss costs the same comparison as a hit.</summary>
    private static readonly byte[] MissSentinel = new byte[32];

    public static IEndpointRouteBuilder MapPublicStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/public/status/{trackingCode}", GetStatusAsync)
            .AllowAnonymous()
            .RequireClientRateLimit(PublicStatusRateLimit);
        return endpoints;
    }

    private static async Task<IResult> GetStatusAsync(
        string trackingCode, ServiceDatabase database, IOptions<IntakeOptions> options, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        // A string that cannot be a code still costs a hash and the query, like any miss.
        var symbols = TrackingCodes.Normalize(trackingCode, settings.TrackingCodePrefix) ?? new string('0', TrackingCodes.Symbols + 1);
        var hash = TrackingCodes.LookupHash(symbols);

        // One statement, so the owner and the milestones come from one snapshot: read apart, a transfer's milestone could
        // show beside the unit from before it, when the transfer committed between the two reads.
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<StatusRow, MilestoneRow?, (StatusRow Case, MilestoneRow? Milestone)>(new CommandDefinition(
            $"""
            select c.case_id as CaseId, c.tracking_code as TrackingCode, c.tracking_hash as TrackingHash, c.category as Category,
                   c.status as Status, c.anonymous as Anonymous, c.received_at as ReceivedAt, c.updated_at as UpdatedAt,
                   c.owner_kind as OwnerKind, c.owner_id as OwnerId, {ResponsibleUnitSql.UnitName} as UnitName,
                   c.findings::text as Findings, c.allegations::text as Allegations,
                   m.milestone as Milestone, m.at as At
            from complaints c
            {ResponsibleUnitSql.Joins}
            left join lateral (select milestone, at, case_version from milestones where case_id = c.case_id) m on true
            where c.tracking_hash = @hash
            order by m.at, m.case_version
            """, new { hash }, cancellationToken: cancellationToken),
            (@case, milestone) => (@case, milestone), splitOn: "Milestone")).ToList();
        var row = rows.FirstOrDefault().Case;
        var milestones = rows.Select(r => r.Milestone).OfType<MilestoneRow>().ToList();

        var found = CryptographicOperations.FixedTimeEquals(row?.TrackingHash ?? MissSentinel, hash);
        if (row is null || !found)
            return Results.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Unknown tracking code",
                detail: "No complaint has this tracking code. Check it for typing errors.");

        // An anonymous complainant cannot be contacted, so that milestone would only confuse them.
        var visible = milestones.Where(m => !(row.Anonymous && m.Milestone == Milestones.Contacted))
            .Select(m => new { milestone = m.Milestone, at = m.At })
            .ToList();
        return Results.Ok(new
        {
            trackingCode = row.TrackingCode,
            status = row.Status,
            category = row.Category,
            receivedAt = row.ReceivedAt,
            updatedAt = row.UpdatedAt,
            responsibleUnit = ResponsibleUnitSql.Resolve(row.UnitName, row.OwnerKind, row.OwnerId, settings),
            milestones = visible,
            // After resolution: each allegation's kind and finding, never the officer's name or badge.
            outcome = row.Status == PublicStatuses.Resolved ? Outcome(row.Findings, row.Allegations) : null,
            outcomeContact = row.Status == PublicStatuses.Resolved ? settings.OutcomeContact : null,
            note = row.Anonymous
                ? "You filed anonymously: this code is the only way to follow the complaint, so keep it safe."
                : "The department will contact you with the details you gave.",
        });
    }

    private sealed record StatusRow(
        Guid CaseId, string TrackingCode, byte[] TrackingHash, string Category, string Status, bool Anonymous,
        DateTime ReceivedAt, DateTime UpdatedAt, string OwnerKind, string OwnerId, string? UnitName, string? Findings, string? Allegations);

    private static List<object>? Outcome(string? findingsJson, string? allegationsJson)
    {
        if (findingsJson is null)
            return null;
        var web = System.Text.Json.JsonSerializerOptions.Web;
        var types = (System.Text.Json.JsonSerializer.Deserialize<List<Accountability.Contracts.Intake.ReceivedAllegation>>(allegationsJson ?? "[]", web) ?? [])
            .ToDictionary(a => a.AllegationId.ToString(), a => a.Type);
        return (System.Text.Json.JsonSerializer.Deserialize<List<FindingRow>>(findingsJson, web) ?? [])
            .Select(f => (object)new { allegation = f.Type ?? types.GetValueOrDefault(f.AllegationId, "other"), finding = f.Finding })
            .ToList();
    }

    /// <summary>Type is carried by the finding itself since allegations can be added while investigating; older rows lack it.</summary>
    private sealed record FindingRow(string AllegationId, string Finding, string? Type = null);

    private sealed record MilestoneRow(string Milestone, DateTime At);
}
