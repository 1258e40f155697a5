using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Accountability.Contracts.EarlyWarning;
using Accountability.Escalation.Data;
using Accountability.Escalation.Features.Escalations;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.Security;
using Dapper;
using Npgsql;

namespace Accountability.Escalation.Features.EarlyWarning;

/// <summary>
/// An early warning as a reader sees it. <see cref="Cases"/> is null for a supervisor: the officer's chain of command
/// must not learn which complaints name him (need-to-know), only that a threshold was crossed and how many counted.
/// </summary>
public sealed record EarlyWarningView(
    Guid WarningId, string OfficerBadge, string? OfficerPersonId, string PolicyId, int PolicyVersion, string PolicyKind, string Reason,
    DateTimeOffset OccurredAt, DateTimeOffset WindowStart, int CaseCount, IReadOnlyList<EarlyWarningCase>? Cases,
    IReadOnlyList<string> SupervisorChain, string? Intervention, string? AcknowledgedBy, DateTimeOffset? AcknowledgedAt, string? Acknowledgement);

public sealed record AcknowledgeRequest
{
    public string? Intervention { get; init; }
    public string? Note { get; init; }
}

/// <summary>
/// GET /api/early-warnings: the warnings the caller may see (internal-affairs command and auditors every one, with its
/// cases; a supervisor those of officers below him, without them). POST /api/early-warnings/{id}/acknowledgement: a
/// supervisor told of the warning, or internal-affairs command, records the intervention; anyone else is answered as if
/// the warning did not exist. Both are in the access log.
/// </summary>
public static class EarlyWarningEndpoints
{
    private static readonly string[] Readers = [Roles.Supervisor, Roles.Commander, Roles.Auditor];
    private static readonly string[] Acknowledgers = [Roles.Supervisor, Roles.Commander];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    public const int MaxNoteLength = 2000;

    public static IEndpointRouteBuilder MapEarlyWarnings(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/early-warnings", async (string? officerBadge, string? limit, ClaimsPrincipal user, ServiceDatabase database, CancellationToken ct) =>
        {
            var take = 100;
            if (limit is not null && !(int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out take) && take is >= 1 and <= 500))
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["Must be a whole number between 1 and 500."] });
            await using var connection = await database.OpenConnectionAsync(ct);
            var chain = await OrgDirectoryStore.LatestAsync(connection, null, ct);
            var me = user.PersonId();
            var everything = user.IsInRole(Roles.Auditor) || chain?.IsInternalAffairsCommand(me) == true;
            var rows = await ReadAsync(connection, officerBadge?.Trim(), everything, me, take, ct);
            // A reader who is the officer or a subject of a counted case does not see that warning, whatever his role.
            var myBadge = chain?.FindPerson(me)?.Badge;
            return Results.Ok(rows.Where(v => myBadge is null || !Names(v, r: null, myBadge)).ToList());
        }).RequireAuthorization(policy => policy.RequireRole(Readers)).RecordsCaseAccess("early-warnings-read");

        app.MapPost("/api/early-warnings/{warningId:guid}/acknowledgement", async (Guid warningId, HttpContext http, ServiceDatabase database,
            TimeProvider time, CancellationToken ct) =>
        {
            var me = http.User.PersonId();
            await using var connection = await database.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                $"{Select} where warning_id = @warningId for update", new { warningId }, transaction, cancellationToken: ct));
            var chain = await OrgDirectoryStore.LatestAsync(connection, transaction, ct);
            if (row is null || !MayAcknowledge(row, me, chain))
            {
                if (row is not null)
                    http.RecordCaseAccessWithheld();
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such early warning");
            }

            var body = await JsonRequestBody.ReadAsync<AcknowledgeRequest>(http.Request, cancellationToken: ct);
            if (!body.IsValid)
                return body.Problem!;
            var errors = Check(body.Value!);
            if (errors.Count > 0)
                return Results.ValidationProblem(errors, title: "The acknowledgement is not valid");
            if (row.AcknowledgedAt is not null)
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already acknowledged",
                    detail: $"This warning was acknowledged on {DbTime.Utc(row.AcknowledgedAt.Value):O} ({row.Intervention}).");

            var now = time.GetUtcNow();
            var note = body.Value!.Note?.Trim() ?? "";
            await connection.ExecuteAsync(new CommandDefinition(
                """
                update early_warnings set intervention = @Intervention, acknowledged_by = @me, acknowledged_at = @now, acknowledgement = @note
                where warning_id = @warningId
                """, new { body.Value.Intervention, me, now = now.ForDb(), note, warningId }, transaction, cancellationToken: ct));
            await OutboxWriter.EnqueueAsync(transaction, new EarlyWarningAcknowledged
            {
                WarningId = warningId,
                OfficerBadge = row.OfficerBadge,
                PolicyId = row.PolicyId,
                PolicyVersion = row.PolicyVersion,
                Intervention = body.Value.Intervention!,
                Reason = note,
                Actor = me,
                OccurredAt = now,
            }, ct);
            await transaction.CommitAsync(ct);
            var everything = chain?.IsInternalAffairsCommand(me) == true;
            return Results.Ok((row with { Intervention = body.Value.Intervention, AcknowledgedBy = me, AcknowledgedAt = now.UtcDateTime, Acknowledgement = note }).View(everything));
        }).RequireAuthorization(policy => policy.RequireRole(Acknowledgers)).RecordsCaseAccess("early-warning-acknowledge");
        return app;
    }

    /// <summary>Warnings, newest first: every one (with cases) when <paramref name="everything"/>, else those that named <paramref name="me"/> as a supervisor (without).</summary>
    public static async Task<IReadOnlyList<EarlyWarningView>> ReadAsync(
        NpgsqlConnection connection, string? officerBadge, bool everything, string me, int take, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            {Select}
            where (@officerBadge::text is null or upper(officer_badge) = upper(@officerBadge))
              and (@everything or @me = any(supervisor_chain))
            order by occurred_at desc, warning_id limit @take
            """, new { officerBadge, everything, me, take }, cancellationToken: ct));
        // Only what the reader may know: the cases for internal-affairs command and auditors, the count for a supervisor.
        return [.. rows.Select(r => r.View(everything))];
    }

    /// <summary>Field-level reasons; pure.</summary>
    public static Dictionary<string, string[]> Check(AcknowledgeRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Interventions.IsKnown(request.Intervention))
            errors["intervention"] = [$"Must be one of: {string.Join(", ", Interventions.All)}."];
        var note = request.Note?.Trim() ?? "";
        if (request.Intervention == Interventions.None && note.Length == 0)
            errors["note"] = ["Say why no intervention is needed; \"none\" is a decision and the record must give its reason."];
        else if (note.Length > MaxNoteLength)
            errors["note"] = [$"At most {MaxNoteLength} characters."];
        return errors;
    }

    /// <summary>Told of it as a supervisor, or internal-affairs command; never the officer or a subject of a counted case.</summary>
    private static bool MayAcknowledge(Row row, string me, ChainOfCommand? chain)
    {
        var person = chain?.FindPerson(me);
        if (person is null || !person.Active || Names(row.View(true), row, person.Badge) || me == row.OfficerPersonId)
            return false;
        return row.SupervisorChain.Contains(me) || chain!.IsInternalAffairsCommand(me);
    }

    /// <summary>Whether the warning is about this badge, or counts a case he is a subject of.</summary>
    private static bool Names(EarlyWarningView view, Row? r, string badge) =>
        string.Equals(view.OfficerBadge, badge, StringComparison.OrdinalIgnoreCase)
        || (r?.CaseList() ?? view.Cases ?? []).Any(c => c.SubjectOfficerBadges.Contains(badge, StringComparer.OrdinalIgnoreCase));

    private const string Select =
        """
        select warning_id as WarningId, officer_badge as OfficerBadge, officer_person_id as OfficerPersonId, policy_id as PolicyId,
               policy_version as PolicyVersion, policy_kind as PolicyKind, reason as Reason, occurred_at as OccurredAt, window_start as WindowStart,
               cases::text as Cases, supervisor_chain as SupervisorChain, intervention as Intervention, acknowledged_by as AcknowledgedBy,
               acknowledged_at as AcknowledgedAt, acknowledgement as Acknowledgement
        from early_warnings
        """;

    // A class with setters: Dapper materializes text[] only into properties, not constructor parameters.
    private sealed record Row
    {
        public Guid WarningId { get; init; }
        public string OfficerBadge { get; init; } = "";
        public string? OfficerPersonId { get; init; }
        public string PolicyId { get; init; } = "";
        public int PolicyVersion { get; init; }
        public string PolicyKind { get; init; } = "";
        public string Reason { get; init; } = "";
        public DateTime OccurredAt { get; init; }
        public DateTime WindowStart { get; init; }
        public string Cases { get; init; } = "[]";
        public string[] SupervisorChain { get; init; } = [];
        public string? Intervention { get; init; }
        public string? AcknowledgedBy { get; init; }
        public DateTime? AcknowledgedAt { get; init; }
        public string? Acknowledgement { get; init; }

        public IReadOnlyList<EarlyWarningCase> CaseList() => JsonSerializer.Deserialize<List<EarlyWarningCase>>(Cases, Json) ?? [];

        public EarlyWarningView View(bool withCases)
        {
            var cases = CaseList();
            return new EarlyWarningView(WarningId, OfficerBadge, OfficerPersonId, PolicyId, PolicyVersion, PolicyKind, Reason,
                DbTime.Utc(OccurredAt), DbTime.Utc(WindowStart), cases.Count, withCases ? cases : null, SupervisorChain,
                Intervention, AcknowledgedBy, DbTime.Utc(AcknowledgedAt), Acknowledgement);
        }
    }
}
