using System.Security.Claims;
using Accountability.Escalation.Data;
using Accountability.Messaging.Database;
using Accountability.ServiceDefaults.Security;
using Dapper;

namespace Accountability.Escalation.Features.EarlyWarning;

public sealed record OfficerAllegationView(
    Guid CaseId, string? CaseNumber, string AllegationId, string Type, DateTimeOffset CountedAt, string? Finding, DateTimeOffset? FindingAt);

public sealed record OfficerHistoryView(
    string Badge, string? PersonId, string? Name, string? UnitId, IReadOnlyList<OfficerAllegationView> Allegations, IReadOnlyList<EarlyWarningView> Warnings);

/// <summary>
/// GET /api/officers/{badge}/history: one officer's complaints, allegations and findings, and the early warnings and
/// interventions about him, from the evaluator's own record. Internal-affairs command and auditors only (they may see
/// every case, confidential ones included); anyone else is refused (403), and so is a reader about himself. Every read,
/// granted or refused, is in the access log.
/// </summary>
public static class OfficerHistoryEndpoints
{
    private static readonly string[] Readers = [Roles.Commander, Roles.Supervisor, Roles.Auditor];

    public static IEndpointRouteBuilder MapOfficerHistory(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/officers/{badge}/history", async (string badge, ClaimsPrincipal user, ServiceDatabase database, CancellationToken ct) =>
        {
            badge = badge.Trim();
            await using var connection = await database.OpenConnectionAsync(ct);
            var chain = await OrgDirectoryStore.LatestAsync(connection, null, ct);
            var me = user.PersonId();
            var reader = chain?.FindPerson(me);
            if (!(user.IsInRole(Roles.Auditor) || chain?.IsInternalAffairsCommand(me) == true)
                || (reader is not null && string.Equals(reader.Badge, badge, StringComparison.OrdinalIgnoreCase)))
                return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed",
                    detail: "An officer's history is for internal-affairs command and auditors, and never about themselves.");

            var allegations = (await connection.QueryAsync<AllegationRow>(new CommandDefinition(
                """
                select case_id as CaseId, case_number as CaseNumber, allegation_id as AllegationId, allegation_type as Type, counted_at as CountedAt,
                       finding as Finding, finding_at as FindingAt
                from early_warning_allegations where upper(officer_badge) = upper(@badge) order by counted_at, case_id, allegation_id
                """, new { badge }, cancellationToken: ct)))
                .Select(r => new OfficerAllegationView(r.CaseId, r.CaseNumber, r.AllegationId, r.Type, DbTime.Utc(r.CountedAt), r.Finding, DbTime.Utc(r.FindingAt)))
                .ToList();
            var warnings = await EarlyWarningEndpoints.ReadAsync(connection, badge, everything: true, me: me, take: 500, ct);
            var officer = chain?.FindByBadge(badge);
            return Results.Ok(new OfficerHistoryView(badge, officer?.Id, officer?.Name, officer?.UnitId, allegations, [.. warnings.OrderBy(w => w.OccurredAt)]));
        }).RequireAuthorization(policy => policy.RequireRole(Readers)).RecordsCaseAccess("officer-history-read");
        return app;
    }

    private sealed class AllegationRow
    {
        public Guid CaseId { get; init; }
        public string? CaseNumber { get; init; }
        public string AllegationId { get; init; } = "";
        public string Type { get; init; } = "";
        public DateTime CountedAt { get; init; }
        public string? Finding { get; init; }
        public DateTime? FindingAt { get; init; }
    }
}
