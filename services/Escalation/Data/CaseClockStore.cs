using System.Text.Json;
using Accountability.Escalation.Features.Calendar;
using Accountability.Escalation.Features.Clocks;
using Accountability.Escalation.Features.Policies;
using Accountability.Escalation.Features.Timers;
using Dapper;
using Npgsql;

namespace Accountability.Escalation.Data;

/// <summary>A case as escalation keeps it.</summary>
public sealed record CaseRow
{
    public required Guid CaseId { get; init; }
    public string? Category { get; init; }
    public string[] AllegationTypes { get; init; } = [];
    public string[] SubjectBadges { get; init; } = [];
    public bool? Anonymous { get; init; }
    public DateTime? ReceivedAt { get; init; }
    public string? PolicyCategory { get; init; }
    public string? PolicyPriority { get; init; }
    public int? PolicyVersion { get; init; }
    public string? OwnerKind { get; init; }
    public string? OwnerId { get; init; }
    public long OwnerVersion { get; init; }
    public int EscalationLevel { get; init; }
    public required string Status { get; init; }
    public long StatusVersion { get; init; }

    public PolicyKey? Policy => PolicyCategory is null || PolicyPriority is null || PolicyVersion is null
        ? null
        : new PolicyKey(PolicyCategory, PolicyPriority, PolicyVersion.Value);
}

/// <summary>One clock of a case, as stored.</summary>
public sealed record ClockRow
{
    public required Guid CaseId { get; init; }
    public required string Clock { get; init; }
    public required string State { get; init; }
    public int Run { get; init; }
    public int Generation { get; init; }
    public DateTime StartedAt { get; init; }
    public DateTime? StoppedAt { get; init; }
    public string Pauses { get; init; } = "[]";
    public string? OwnerKind { get; init; }
    public string? OwnerId { get; init; }
    public Guid? HandoffId { get; init; }
    public int[] FiredPercents { get; init; } = [];
    public DateTime? BreachedAt { get; init; }
    public long Version { get; init; }

    public IReadOnlyList<ClockPause> PauseList => JsonSerializer.Deserialize<List<ClockPause>>(Pauses, CaseClockStore.Json) ?? [];

    public ClockRun ToRun(SlaPolicy policy, BusinessCalendar calendar) =>
        TimerSchedule.RunOf(policy, Clock, DbTime.Utc(StartedAt), PauseList, DbTime.Utc(StoppedAt), calendar);
}

/// <summary>
/// Cases, clocks and timers. Every write locks the case row first, so that consumers, the poller and
/// the pause API never interleave on one case; consumers only ever insert timers, never lock them.
/// </summary>
public sealed class CaseClockStore(BusinessCalendar calendar, PolicySettings settings, PolicyStore policies)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string CaseColumns =
        """
        case_id as CaseId, category as Category, allegation_types as AllegationTypes, anonymous as Anonymous, received_at as ReceivedAt,
        policy_category as PolicyCategory, policy_priority as PolicyPriority, policy_version as PolicyVersion,
        owner_kind as OwnerKind, owner_id as OwnerId, owner_version as OwnerVersion, escalation_level as EscalationLevel,
        status as Status, status_version as StatusVersion, subject_badges as SubjectBadges
        """;

    private const string ClockColumns =
        """
        case_id as CaseId, clock as Clock, state as State, run as Run, generation as Generation, started_at as StartedAt,
        stopped_at as StoppedAt, pauses::text as Pauses, owner_kind as OwnerKind, owner_id as OwnerId, handoff_id as HandoffId,
        fired_percents as FiredPercents, breached_at as BreachedAt, version as Version
        """;

    /// <summary>Applies one event's update. Returns true when a timer it scheduled is already due (the poller should look now).</summary>
    public async Task<bool> ApplyAsync(NpgsqlTransaction transaction, CaseUpdate update, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        // One round trip for three statements, each in its own snapshot as if sent one by one: a case's first event creates
        // its row (for the others the insert finds the key and does nothing, without a lock or a write); the update takes
        // the case's row lock before anything else is read or written, one writer per case at a time (consumers, the
        // poller, the pause API), is computed from the row as the previous writer left it, and hands the row back; the
        // clocks are read after the lock, so they too are as the previous writer left them. Sent one after another these
        // were two to four round trips, each of them time the case's row lock is held.
        var write = new CommandDefinition(
            $$"""
            insert into cases (case_id) values (@CaseId) on conflict (case_id) do nothing;
            update cases set
                category = coalesce(category, @Category),
                allegation_types = case when @AllegationTypes::text[] is null or cardinality(allegation_types) > 0 then allegation_types else @AllegationTypes::text[] end,
                anonymous = coalesce(anonymous, @Anonymous),
                -- Subjects only ever join a case (receipt, then amended allegations), so a union is right in any order.
                subject_badges = case when @SubjectBadges::text[] is null then subject_badges
                                      else array(select distinct b from unnest(subject_badges || @SubjectBadges::text[]) b order by b) end,
                received_at = least(received_at, @ReceivedAt),
                owner_kind = case when @OwnerKind::text is not null and @Version > owner_version then @OwnerKind else owner_kind end,
                owner_id = case when @OwnerKind::text is not null and @Version > owner_version then @OwnerId else owner_id end,
                escalation_level = case when @OwnerKind::text is not null and @Version > owner_version and @EscalationLevel::int is not null then @EscalationLevel else escalation_level end,
                owner_version = case when @OwnerKind::text is not null and @Version > owner_version then @Version else owner_version end,
                status = case when @Status::text is not null and @Version > status_version then @Status else status end,
                status_version = case when @Status::text is not null and @Version > status_version then @Version else status_version end
            where case_id = @CaseId
            returning {{CaseColumns}};
            select {{ClockColumns}} from clocks where case_id = @CaseId order by clock
            """,
            new
            {
                update.CaseId, update.Category, AllegationTypes = update.AllegationTypes?.ToArray(), update.Anonymous,
                ReceivedAt = update.ReceivedAt?.ForDb(), OwnerKind = update.Owner?.Kind, OwnerId = update.Owner?.Id,
                update.EscalationLevel, update.Version, update.Status, SubjectBadges = update.SubjectBadges?.ToArray(),
            }, transaction, cancellationToken: cancellationToken);
        CaseRow @case;
        Dictionary<string, ClockRow> clocks;
        await using (var results = await connection.QueryMultipleAsync(write))
        {
            @case = await results.ReadSingleAsync<CaseRow>();
            clocks = (await results.ReadAsync<ClockRow>()).ToDictionary(c => c.Clock, StringComparer.Ordinal);
        }
        // least(null, x) is x in PostgreSQL, so the first receipt instant sticks and an earlier one wins.

        var pinned = false;
        if (@case.Policy is null && @case.Category is not null)
        {
            @case = await PinPolicyAsync(transaction, @case, now, cancellationToken);
            pinned = @case.Policy is not null;
        }

        // The case's clocks were read once, above; each action's statement hands back the clock it wrote.
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var action in update.Actions)
            if (await ApplyActionAsync(transaction, update.CaseId, action, clocks, cancellationToken))
                written.Add(action.Clock);

        // A clock's timers are inserted when its run or generation begins, in the same transaction, and stay until they
        // fire or are superseded: only the clocks this event wrote need new ones, or every clock when the policy was just
        // pinned (before that, no clock had any). Proposing them all again cost a statement per event whose rows all conflicted.
        var needTimers = pinned ? clocks.Values : clocks.Values.Where(c => written.Contains(c.Clock));
        return await RescheduleAsync(transaction, @case, needTimers.ToList(), now, cancellationToken);
    }

    public static async Task<CaseRow?> LockCaseAsync(NpgsqlTransaction transaction, Guid caseId, CancellationToken cancellationToken) =>
        await transaction.Connection!.QuerySingleOrDefaultAsync<CaseRow>(new CommandDefinition(
            $"select {CaseColumns} from cases where case_id = @caseId for update", new { caseId }, transaction, cancellationToken: cancellationToken));

    public static async Task<CaseRow?> FindCaseAsync(NpgsqlConnection connection, Guid caseId, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<CaseRow>(new CommandDefinition(
            $"select {CaseColumns} from cases where case_id = @caseId", new { caseId }, cancellationToken: cancellationToken));

    /// <summary>The cases escalation knows among <paramref name="caseIds"/>; unknown ids are simply absent.</summary>
    public static async Task<IReadOnlyList<CaseRow>> FindCasesAsync(NpgsqlConnection connection, IReadOnlyCollection<Guid> caseIds, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<CaseRow>(new CommandDefinition(
            $"select {CaseColumns} from cases where case_id = any(@caseIds)", new { caseIds = caseIds.ToArray() }, cancellationToken: cancellationToken))).ToList();

    /// <summary>The clocks of several cases in one query, by case.</summary>
    public static async Task<ILookup<Guid, ClockRow>> ClocksOfCasesAsync(NpgsqlConnection connection, IReadOnlyCollection<Guid> caseIds, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<ClockRow>(new CommandDefinition(
            $"select {ClockColumns} from clocks where case_id = any(@caseIds) order by case_id, clock", new { caseIds = caseIds.ToArray() },
            cancellationToken: cancellationToken))).ToLookup(c => c.CaseId);

    public static async Task<IReadOnlyList<ClockRow>> ClocksAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid caseId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<ClockRow>(new CommandDefinition(
            $"select {ClockColumns} from clocks where case_id = @caseId order by clock", new { caseId }, transaction, cancellationToken: cancellationToken))).ToList();

    /// <summary>
    /// Inserts the timers that the case's running clocks still need, for their current generation.
    /// Timers of older generations stay behind and are marked superseded when they come due.
    /// </summary>
    public async Task<bool> RescheduleAsync(NpgsqlTransaction transaction, Guid caseId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await LockCaseAsync(transaction, caseId, cancellationToken) is not { Policy: not null } @case)
            return false; // no category yet: the clocks run, and get their timers when the policy is pinned
        return await RescheduleAsync(transaction, @case, await ClocksAsync(transaction.Connection!, transaction, caseId, cancellationToken), now, cancellationToken);
    }

    /// <summary>The same, for a caller that holds the case's row lock and has the case and its clocks as they now are.</summary>
    private async Task<bool> RescheduleAsync(
        NpgsqlTransaction transaction, CaseRow @case, IEnumerable<ClockRow> clocks, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var caseId = @case.CaseId;
        if (@case.Policy is not { } key)
            return false; // no category yet: the clocks run, and get their timers when the policy is pinned
        if (!clocks.Any(c => c.State == "running"))
            return false;
        var policy = (await policies.HoldingAsync(connection, transaction, [key], cancellationToken)).Find(key)
                     ?? throw new InvalidOperationException($"Case {caseId} runs under policy {key}, which does not exist.");

        var dueNow = false;
        var timers = new List<(string Clock, int Run, int Generation, int Percent, DateTimeOffset FireAt)>();
        foreach (var clock in clocks)
        {
            if (clock.State != "running")
                continue;
            foreach (var (percent, fireAt) in TimerSchedule.Remaining(clock.ToRun(policy, calendar), policy, clock.FiredPercents, calendar, now))
            {
                timers.Add((clock.Clock, clock.Run, clock.Generation, percent, fireAt.ForDb()));
                dueNow |= fireAt <= now;
            }
        }
        // One statement for all of them: a case's clocks need a dozen timers or more.
        if (timers.Count > 0)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into timers (case_id, clock, run, generation, percent, fire_at)
                select @caseId, t.clock, t.run, t.generation, t.percent, t.fire_at
                from unnest(@clocks, @runs, @generations, @percents, @fireAts) as t(clock, run, generation, percent, fire_at)
                on conflict do nothing
                """,
                new
                {
                    caseId,
                    clocks = timers.Select(t => t.Clock).ToArray(),
                    runs = timers.Select(t => t.Run).ToArray(),
                    generations = timers.Select(t => t.Generation).ToArray(),
                    percents = timers.Select(t => t.Percent).ToArray(),
                    fireAts = timers.Select(t => t.FireAt).ToArray(),
                },
                transaction, cancellationToken: cancellationToken));
        return dueNow;
    }

    /// <summary>The case keeps the version in force when it was received, for life; a later version never touches it.</summary>
    private async Task<CaseRow> PinPolicyAsync(NpgsqlTransaction transaction, CaseRow @case, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var priority = Priorities.Of(@case.Category!, @case.AllegationTypes, settings.UrgentCategories);
        // Which version is in force is read from the table: a version another instance added since must count.
        var policies = await PolicyStore.LoadAsync(transaction.Connection!, transaction, cancellationToken);
        var startedAt = DbTime.Utc(@case.ReceivedAt) ?? now;
        // A case received before any version took effect runs under the earliest one there is.
        var policy = policies.Resolve(@case.Category!, priority, startedAt)
                     ?? policies.All.Where(p => p.Priority == priority && (p.Category == @case.Category || p.Category == SlaPolicy.AnyCategory))
                         .OrderBy(p => p.Category == SlaPolicy.AnyCategory).ThenBy(p => p.EffectiveFrom).FirstOrDefault();
        if (policy is null)
            return @case;
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "update cases set policy_category = @Category, policy_priority = @Priority, policy_version = @Version where case_id = @CaseId",
            new { policy.Category, policy.Priority, policy.Version, @case.CaseId }, transaction, cancellationToken: cancellationToken));
        return @case with { PolicyCategory = policy.Category, PolicyPriority = policy.Priority, PolicyVersion = policy.Version };
    }

    /// <summary>
    /// Applies one clock action; <paramref name="clocks"/> holds the case's clocks, and afterwards the one written as it now is.
    /// True when it wrote the clock; false when the action was stale or already applied.
    /// </summary>
    private static async Task<bool> ApplyActionAsync(
        NpgsqlTransaction transaction, Guid caseId, ClockAction action, Dictionary<string, ClockRow> clocks, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var existing = clocks.GetValueOrDefault(action.Clock);
        var at = action.At.ForDb();

        switch (action)
        {
            case ClockAction.StartRun start when existing is null:
                await InsertAsync("running", start.OwnerKind, start.OwnerId, start.HandoffId, null);
                return true;
            case ClockAction.StartRun start when action.Version > existing.Version:
                await WriteAsync(new CommandDefinition(
                    $$"""
                    update clocks set state = 'running', run = run + 1, generation = generation + 1, started_at = @at, stopped_at = null,
                        pauses = '[]'::jsonb, owner_kind = @OwnerKind, owner_id = @OwnerId, handoff_id = @HandoffId,
                        fired_percents = '{}', breached_at = null, version = @Version
                    where case_id = @caseId and clock = @Clock
                    returning {{ClockColumns}}
                    """, new { caseId, action.Clock, at, start.OwnerKind, start.OwnerId, start.HandoffId, action.Version }, transaction, cancellationToken: cancellationToken));
                return true;
            case ClockAction.StartOnce when existing is null:
                await InsertAsync("running", null, null, null, null);
                return true;
            case ClockAction.Stop when existing is null:
                // Remember the stop, so that the older start arriving after it is recognised as stale.
                await InsertAsync("stopped", null, null, null, at);
                return true;
            case ClockAction.Stop stop when action.Version > existing.Version:
                // A handoff that ended is the pending one only if the ids agree (or the stop names none).
                if (stop.HandoffId is { } ended && existing.HandoffId is { } pending && ended != pending)
                    return false;
                await WriteAsync(new CommandDefinition(
                    $"""
                    update clocks set state = 'stopped', stopped_at = case when state = 'stopped' then stopped_at else @at end,
                        generation = generation + case when state = 'stopped' then 0 else 1 end, version = @Version
                    where case_id = @caseId and clock = @Clock
                    returning {ClockColumns}
                    """, new { caseId, action.Clock, at, action.Version }, transaction, cancellationToken: cancellationToken));
                return true;
            case ClockAction.Restart when existing is { State: "stopped", StoppedAt: { } stoppedAt } && action.Version > existing.Version:
                // The time it stood stopped does not count: recorded as a pause, so the arithmetic stays one rule.
                var pauses = existing.PauseList.Append(new ClockPause(DbTime.Utc(stoppedAt), action.At, "stopped while resolved", "system:escalation")).ToList();
                await WriteAsync(new CommandDefinition(
                    $"""
                    update clocks set state = 'running', stopped_at = null, pauses = @pauses::jsonb, generation = generation + 1, version = @Version
                    where case_id = @caseId and clock = @Clock
                    returning {ClockColumns}
                    """, new { caseId, action.Clock, pauses = JsonSerializer.Serialize(pauses, Json), action.Version }, transaction, cancellationToken: cancellationToken));
                return true;
        }
        return false;

        Task InsertAsync(string state, string? ownerKind, string? ownerId, Guid? handoffId, DateTimeOffset? stoppedAt) =>
            WriteAsync(new CommandDefinition(
                $"""
                insert into clocks (case_id, clock, state, started_at, stopped_at, owner_kind, owner_id, handoff_id, version)
                values (@caseId, @Clock, @state, @at, @stoppedAt, @ownerKind, @ownerId, @handoffId, @Version)
                returning {ClockColumns}
                """, new { caseId, action.Clock, state, at, stoppedAt, ownerKind, ownerId, handoffId, action.Version }, transaction, cancellationToken: cancellationToken));

        async Task WriteAsync(CommandDefinition statement) =>
            clocks[action.Clock] = await connection.QuerySingleAsync<ClockRow>(statement);
    }

    /// <summary>Our own event counter for the case: the CaseVersion of the next event we say about it.</summary>
    public static Task<long> NextEventVersionAsync(NpgsqlTransaction transaction, Guid caseId, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
            "update cases set event_seq = event_seq + 1 where case_id = @caseId returning event_seq", new { caseId }, transaction, cancellationToken: cancellationToken));
}

/// <summary>What the policies file says beyond the policies themselves.</summary>
public sealed record PolicySettings(IReadOnlyCollection<string> UrgentCategories);
