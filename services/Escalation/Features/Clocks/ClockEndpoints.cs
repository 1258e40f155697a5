using System.Security.Claims;
using System.Text.Json;
using Accountability.Contracts.Escalation;
using Accountability.Escalation.Data;
using Accountability.Escalation.Features.Calendar;
using Accountability.Escalation.Features.Escalations;
using Accountability.Escalation.Features.Policies;
using Accountability.Escalation.Features.Timers;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.NeedToKnow;
using Accountability.ServiceDefaults.Security;
using Accountability.ServiceDefaults.Telemetry;
using Dapper;

namespace Accountability.Escalation.Features.Clocks;

public sealed record PauseRequest(string? Reason);

public sealed record ClockView(
    string Clock, string State, DateTimeOffset StartedAt, DateTimeOffset? DueAt, double? ElapsedPercent,
    IReadOnlyList<ClockPause> Pauses, int? PolicyVersion, string? OwnerKind, string? OwnerId, DateTimeOffset? BreachedAt, IReadOnlyList<int> FiredPercents);

/// <summary>One case's clocks in the answer of GET /api/clocks.</summary>
public sealed record CaseClocksView(Guid CaseId, IReadOnlyList<ClockView> Clocks);

/// <summary>
/// GET a case's clocks (or many cases' at once), for those with a need to know the case; pause and resume its
/// statutory clock (the owner's chain of command or internal-affairs command), each an event.
/// </summary>
public static class ClockEndpoints
{
    private static readonly string[] Readers = [.. Roles.CaseWorkers, Roles.Auditor];
    private static readonly string[] Pausers = [Roles.Supervisor, Roles.Commander, Roles.Admin];

    /// <summary>
    /// A board's worth: the console shows about 100 cases and asks for their clocks in one request. Assignment's
    /// limit for the list filtered by ids, so that one call to it decides which of them the caller may see.
    /// </summary>
    public const int MaxCasesPerRequest = CaseSightClient.MaxCasesPerRequest;

    public static IEndpointRouteBuilder MapClockEndpoints(this IEndpointRouteBuilder app)
    {
        // Who may see a case is assignment's one rule (need-to-know), asked with the caller's own token: the owner and
        // their chain see the clocks, dispatchers and admins the board (deadlines included), auditors and internal-affairs
        // command everything; a subject officer, their chain and anyone unrelated get the 404 of a case that does not exist.
        // A confidential case seen only as the board sees it (masked) shows no clocks: they would tell its deadlines.
        app.MapGet("/api/cases/{caseId:guid}/clocks", async (Guid caseId, HttpContext http, CaseSightClient sight, ServiceDatabase database,
            PolicyStore policyStore, BusinessCalendar calendar, TimeProvider time, ILoggerFactory loggers, CancellationToken ct) =>
        {
            // Asked before looking the case up, so that while assignment cannot answer nobody learns whether escalation knows it.
            CaseSight seen;
            try
            {
                seen = await sight.SightAsync(caseId, http.Request.Headers.Authorization.ToString(), ct);
            }
            catch (Exception exception) when (CaseSightClient.Unreachable(exception, ct))
            {
                loggers.CreateLogger("Accountability.Escalation.Clocks").LogWarning(exception, "Assignment could not say who may see case {CaseId}", caseId);
                return CaseSightClient.Unavailable("this case's clocks");
            }
            await using var connection = await database.OpenConnectionAsync(ct);
            if (await CaseClockStore.FindCaseAsync(connection, caseId, ct) is not { } @case)
                return NotFound(caseId);
            if (seen == CaseSight.None)
            {
                http.RecordCaseAccessWithheld();
                return NotFound(caseId);
            }
            if (!CaseSightClient.ShowsDeadlines(seen))
                return Results.Ok(Array.Empty<ClockView>());
            var policies = await policyStore.HoldingAsync(connection, null, [@case.Policy], ct);
            var clocks = await CaseClockStore.ClocksAsync(connection, null, caseId, ct);
            return Results.Ok(Views(@case, clocks, policies, calendar, time.GetUtcNow()));
        }).RequireAuthorization(policy => policy.RequireRole(Readers)).RecordsCaseAccess("clocks-read");

        // The same rule as a filter: a case the caller may not see, or sees masked, is simply not in the answer, as an unknown one is not.
        app.MapGet("/api/clocks", async (string? caseIds, HttpContext http, CaseSightClient sight, ServiceDatabase database,
            PolicyStore policyStore, BusinessCalendar calendar, TimeProvider time, ILoggerFactory loggers, CancellationToken ct) =>
        {
            if (ParseCaseIds(caseIds, out var asked) is { } error)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["caseIds"] = [error] });
            IReadOnlyDictionary<Guid, CaseSight> seen;
            try
            {
                seen = await sight.SightsAsync(asked, http.Request.Headers.Authorization.ToString(), ct);
            }
            catch (Exception exception) when (CaseSightClient.Unreachable(exception, ct))
            {
                loggers.CreateLogger("Accountability.Escalation.Clocks").LogWarning(exception, "Assignment could not say who may see {Count} cases", asked.Count);
                return CaseSightClient.Unavailable("these cases' clocks");
            }
            var ids = asked.Where(id => CaseSightClient.ShowsDeadlines(seen.GetValueOrDefault(id))).ToList();
            if (ids.Count == 0)
                return Results.Ok(Array.Empty<CaseClocksView>());
            await using var connection = await database.OpenConnectionAsync(ct);
            // One query for the cases and one for all their clocks, however many cases are asked for.
            var cases = (await CaseClockStore.FindCasesAsync(connection, ids, ct)).ToDictionary(c => c.CaseId);
            var clocks = await CaseClockStore.ClocksOfCasesAsync(connection, ids, ct);
            var policies = await policyStore.HoldingAsync(connection, null, cases.Values.Select(c => c.Policy), ct);
            var now = time.GetUtcNow();
            return Results.Ok(ids.Where(cases.ContainsKey)
                .Select(id => new CaseClocksView(id, Views(cases[id], clocks[id], policies, calendar, now).ToList())));
        }).RequireAuthorization(policy => policy.RequireRole(Readers)).RecordsCaseAccess("clocks-list");

        app.MapPost("/api/cases/{caseId:guid}/statutory/pause", async (Guid caseId, HttpRequest request, ClaimsPrincipal user, CaseSightClient sight,
            ServiceDatabase database, CaseClockStore store, BusinessCalendar calendar, TimeProvider time, CancellationToken ct) =>
        {
            // Read now, answered only after ChangeAsync has checked the caller's relationship to the case: a subject's chain
            // must get the 404 of a missing case whatever the body, or a 400 would tell them the case exists.
            var body = await JsonRequestBody.ReadAsync<PauseRequest>(request, cancellationToken: ct);
            IResult? Invalid() =>
                !body.IsValid ? body.Problem!
                : !StatutoryPauseReasons.IsKnown(body.Value!.Reason) ? Results.ValidationProblem(new Dictionary<string, string[]>
                    { ["reason"] = [$"Must be one of: {string.Join(", ", StatutoryPauseReasons.All)}."] })
                : null;
            return await ChangeAsync(caseId, "statutory-paused", request.HttpContext, sight, database, store, calendar, time, ct, Invalid, async (transaction, @case, clock, policy, now) =>
            {
                if (clock.State != "running")
                    return Results.Problem(statusCode: 409, title: "The statutory clock is not running", detail: $"It is {clock.State}.");
                var run = clock.ToRun(policy, calendar);
                var remaining = run.Budget - ClockMath.Spent(run, calendar, now);
                var pauses = clock.PauseList.Append(new ClockPause(now, null, body.Value!.Reason!, user.PersonId())).ToList();
                await UpdateClockAsync(transaction, caseId, "paused", pauses, ct);
                await OutboxWriter.EnqueueAsync(transaction, new StatutoryClockPaused
                {
                    CaseId = caseId,
                    CaseVersion = await CaseClockStore.NextEventVersionAsync(transaction, caseId, ct),
                    Actor = user.PersonId(),
                    Reason = body.Value.Reason!,
                    OccurredAt = now,
                    PauseReason = body.Value.Reason!,
                    Remaining = remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining,
                }, ct);
                return null;
            });
        }).RequireAuthorization(policy => policy.RequireRole(Pausers));

        app.MapPost("/api/cases/{caseId:guid}/statutory/resume", async (Guid caseId, HttpContext http, ClaimsPrincipal user, CaseSightClient sight,
            ServiceDatabase database, CaseClockStore store, BusinessCalendar calendar, TimeProvider time, CancellationToken ct) =>
            await ChangeAsync(caseId, "statutory-resumed", http, sight, database, store, calendar, time, ct, static () => null, async (transaction, @case, clock, policy, now) =>
            {
                if (clock.State != "paused")
                    return Results.Problem(statusCode: 409, title: "The statutory clock is not paused", detail: $"It is {clock.State}.");
                var open = clock.PauseList.Last(p => p.To is null);
                var pauses = clock.PauseList.Select(p => p == open ? p with { To = now } : p).ToList();
                await UpdateClockAsync(transaction, caseId, "running", pauses, ct);
                var dueAt = ClockMath.DueAt(TimerSchedule.RunOf(policy, SlaClocks.Statutory, DbTime.Utc(clock.StartedAt), pauses, null, calendar), calendar, now);
                await OutboxWriter.EnqueueAsync(transaction, new StatutoryClockResumed
                {
                    CaseId = caseId,
                    CaseVersion = await CaseClockStore.NextEventVersionAsync(transaction, caseId, ct),
                    Actor = user.PersonId(),
                    Reason = $"Resumed after {open.Reason}",
                    OccurredAt = now,
                    PauseReason = open.Reason,
                    PausedAt = open.From,
                    DueAt = dueAt,
                }, ct);
                return null;
            })).RequireAuthorization(policy => policy.RequireRole(Pausers));
        return app;
    }

    private delegate Task<IResult?> StatutoryChange(Npgsql.NpgsqlTransaction transaction, CaseRow @case, ClockRow clock, SlaPolicy policy, DateTimeOffset now);

    /// <summary>
    /// Locks the case, checks the caller's relationship to it, then the request (<paramref name="invalid"/>) and the clock,
    /// applies the change, reschedules the timers (a new generation), commits; answers with the clocks. The relationship
    /// comes first: whoever may not know the case gets the same 404 as for a missing one, never a 400, a 403 or a 409.
    /// </summary>
    private static async Task<IResult> ChangeAsync(Guid caseId, string step, HttpContext http, CaseSightClient sight, ServiceDatabase database, CaseClockStore store, BusinessCalendar calendar,
        TimeProvider time, CancellationToken ct, Func<IResult?> invalid, StatutoryChange change)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var actor = http.User;
        if (await CaseClockStore.LockCaseAsync(transaction, caseId, ct) is not { } @case)
            return NotFound(caseId);
        System.Diagnostics.Activity.Current.TagCase(caseId, step, @case.OwnerKind, @case.OwnerId);
        // A relationship to the case, not just a role: its owner's chain of command, or internal-affairs command.
        var chain = await OrgDirectoryStore.LatestAsync(connection, transaction, ct);
        switch (chain?.ForCase(@case.SubjectBadges).StatutoryAuthority(actor.PersonId(), @case.OwnerKind, @case.OwnerId))
        {
            case null:
                return Results.Problem(statusCode: 503, title: "Try again shortly", detail: "The org directory has not reached the escalation service yet.");
            case StatutoryAuthority.Conflicted:
                return NotFound(caseId);
            case StatutoryAuthority.NotAPerson:
                return Results.Problem(statusCode: 403, title: "Not permitted", detail: $"{actor.PersonId()} is not an active person in the directory.");
            case StatutoryAuthority.NoRelationship:
                // A 403 would tell someone with no need to know the case that it exists: only those who may see it learn why not.
                // The lock is let go first; assignment may take a while to answer.
                await transaction.RollbackAsync(ct);
                return await MaySeeAsync(http, sight, caseId, ct) switch
                {
                    null => CaseSightClient.Unavailable("this case"),
                    false => NotFound(caseId),
                    true => Results.Problem(statusCode: 403, title: "Not permitted",
                        detail: "Only the case owner's chain of command or internal-affairs command may pause or resume its statutory clock."),
                };
        }
        if (invalid() is { } problem)
            return problem;
        var clock = (await CaseClockStore.ClocksAsync(connection, transaction, caseId, ct)).FirstOrDefault(c => c.Clock == SlaClocks.Statutory);
        var policy = @case.Policy is { } key ? (await PolicyStore.LoadAsync(connection, transaction, ct)).Find(key) : null;
        if (clock is null || policy is null)
            return Results.Problem(statusCode: 409, title: "The statutory clock has not started",
                detail: "The case's receipt (and so its category and policy) has not reached the escalation service yet.");
        var now = time.GetUtcNow();
        if (await change(transaction, @case, clock, policy, now) is { } refusal)
            return refusal;
        await store.RescheduleAsync(transaction, caseId, now, ct);
        await transaction.CommitAsync(ct);
        var updated = (await CaseClockStore.ClocksAsync(connection, null, caseId, ct)).First(c => c.Clock == SlaClocks.Statutory);
        return Results.Ok(View(updated, policy, calendar, now));
    }

    /// <summary>Whether assignment lets the caller see the case (the board is enough); null when it cannot say.</summary>
    private static async Task<bool?> MaySeeAsync(HttpContext http, CaseSightClient sight, Guid caseId, CancellationToken ct)
    {
        try
        {
            return await sight.SightAsync(caseId, http.Request.Headers.Authorization.ToString(), ct) != CaseSight.None;
        }
        catch (Exception exception) when (CaseSightClient.Unreachable(exception, ct))
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Accountability.Escalation.Clocks")
                .LogWarning(exception, "Assignment could not say who may see case {CaseId}", caseId);
            return null;
        }
    }

    private static Task UpdateClockAsync(Npgsql.NpgsqlTransaction transaction, Guid caseId, string state, IReadOnlyList<ClockPause> pauses, CancellationToken ct) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update clocks set state = @state, pauses = @pauses::jsonb, generation = generation + 1, written_at = now()
            where case_id = @caseId and clock = 'statutory'
            """, new { caseId, state, pauses = JsonSerializer.Serialize(pauses, CaseClockStore.Json) }, transaction, cancellationToken: ct));

    /// <summary>
    /// The ids of GET /api/clocks?caseIds=a,b,c in the order asked, without repeats; the reason when they are
    /// not 1 to <see cref="MaxCasesPerRequest"/> GUIDs. Entries are named by position, never echoed.
    /// </summary>
    public static string? ParseCaseIds(string? raw, out IReadOnlyList<Guid> ids)
    {
        ids = [];
        if (string.IsNullOrWhiteSpace(raw))
            return $"Required: 1 to {MaxCasesPerRequest} case ids, comma-separated.";
        var parts = raw.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > MaxCasesPerRequest)
            return $"At most {MaxCasesPerRequest} case ids per request; {parts.Length} were given.";
        var parsed = new List<Guid>(parts.Length);
        for (var i = 0; i < parts.Length; i++)
        {
            if (!Guid.TryParseExact(parts[i], "D", out var id))
                return $"Entry {i + 1} is not a case id (a GUID such as 01a1fe14-7485-7ba1-8d4a-0d2ba02a252a).";
            parsed.Add(id);
        }
        ids = parsed.Distinct().ToList();
        return null;
    }

    /// <summary>A case's clocks under the policy version it started with (none yet: awaiting-policy).</summary>
    private static IEnumerable<ClockView> Views(CaseRow @case, IEnumerable<ClockRow> clocks, PolicyCatalog policies, BusinessCalendar calendar, DateTimeOffset now)
    {
        var policy = @case.Policy is { } key ? policies.Find(key) : null;
        return clocks.Select(c => View(c, policy, calendar, now));
    }

    public static ClockView View(ClockRow clock, SlaPolicy? policy, BusinessCalendar calendar, DateTimeOffset now)
    {
        var run = policy is null ? null : clock.ToRun(policy, calendar);
        var state = clock.BreachedAt is not null && clock.State == "running" ? "breached"
            : policy is null && clock.State == "running" ? "awaiting-policy"
            : clock.State;
        return new ClockView(clock.Clock, state, DbTime.Utc(clock.StartedAt),
            run is null ? null : ClockMath.DueAt(run, calendar, now),
            run is null ? null : ClockMath.ElapsedPercent(run, calendar, now),
            clock.PauseList, policy?.Version, clock.OwnerKind, clock.OwnerId, DbTime.Utc(clock.BreachedAt), clock.FiredPercents);
    }

    private static IResult NotFound(Guid caseId) =>
        Results.Problem(statusCode: 404, title: "No such case", detail: $"The escalation service has no case {caseId}.");
}
