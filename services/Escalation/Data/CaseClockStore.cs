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

    /// <summary>
    /// Applies the updates of a group of events in the caller's transaction, in order; a case may have several (its receipt
    /// and its routing arrive together). Returns, for each update in order, whether a timer its case needs is already due
    /// (the poller should look now).
    /// </summary>
    /// <remarks>
    /// A fixed number of round trips, however many cases and events: the cases' rows are created, locked and updated and
    /// their clocks read in one; the policies table is read once if a case's policy is being pinned; every clock written,
    /// every pin and every new timer go in one more. A case's n-th event is in the n-th update statement of the first round
    /// trip, so the statements apply a case's events one after another, as they arrived, with the same version guards as
    /// one at a time. Each event's clock actions are folded onto its case's clocks in memory, in order
    /// (<see cref="ClockTransitions"/>), which is safe because the case's row lock is held from the first round trip on.
    /// Only the clocks' final states are written, with their next thresholds as timers: a run begun and replaced within the
    /// group (the intake desk's acknowledge clock, then the owner's) never gets a timer that would only be superseded.
    /// </remarks>
    /// <param name="commit">Commit the caller's transaction in the last round trip, with the writes (a group's writer has nothing after them).</param>
    public async Task<IReadOnlyList<bool>> ApplyAsync(
        NpgsqlTransaction transaction, IReadOnlyList<CaseUpdate> updates, DateTimeOffset now, CancellationToken cancellationToken, bool commit = false)
    {
        if (updates.Count == 0)
        {
            if (commit)
                await transaction.CommitAsync(cancellationToken);
            return [];
        }
        var connection = transaction.Connection!;
        var caseIds = updates.Select(u => u.CaseId).Distinct().Order().ToArray();
        // The n-th statement holds the n-th event of each case that has one: a case at most once per statement.
        var steps = updates.GroupBy(u => u.CaseId).SelectMany(events => events.Select((update, n) => (n, update)))
            .GroupBy(e => e.n, e => e.update).OrderBy(step => step.Key).Select(step => step.ToList()).ToList();

        // One round trip for these statements, each in its own snapshot as if sent one by one. A case's first event creates
        // its row (for the others the insert finds the key and does nothing). The cases are then locked in the order of
        // their ids, so two groups of other instances (or the poller, which locks one case) never wait on each other in a
        // circle. Each update is computed from each row as the previous statement left it; the clocks are read after the
        // lock, so they too are as the previous writer left them.
        var parameters = new DynamicParameters(new { caseIds });
        for (var n = 0; n < steps.Count; n++)
            parameters.Add($"updates{n}", JsonSerializer.Serialize(steps[n].Select(CaseUpdateJson)));
        var write = new CommandDefinition(
            $"""
            insert into cases (case_id) select id from unnest(@caseIds) as ids(id) order by id on conflict (case_id) do nothing;
            select case_id from cases where case_id = any(@caseIds) order by case_id for update;
            {string.Join("", Enumerable.Range(0, steps.Count).Select(n => UpdateCasesSql.Replace("@updates", $"@updates{n}", StringComparison.Ordinal) + ";\n"))}
            select {ClockColumns} from clocks where case_id = any(@caseIds) order by case_id, clock
            """,
            parameters, transaction, cancellationToken: cancellationToken);
        var cases = new Dictionary<Guid, CaseRow>();
        ILookup<Guid, ClockRow> stored;
        await using (var results = await connection.QueryMultipleAsync(write))
        {
            await results.ReadAsync<Guid>(); // the locks
            for (var n = 0; n < steps.Count; n++)
                foreach (var row in await results.ReadAsync<CaseRow>())
                    cases[row.CaseId] = row; // a later statement's row is the case after more of its events
            stored = (await results.ReadAsync<ClockRow>()).ToLookup(c => c.CaseId);
        }

        // A case whose category is known for the first time is pinned to the policy version then in force, read from the table.
        var pins = new List<CaseRow>();
        var unpinned = cases.Values.Where(c => c.Policy is null && c.Category is not null).ToList();
        if (unpinned.Count > 0)
        {
            var catalog = await PolicyStore.LoadAsync(connection, transaction, cancellationToken);
            foreach (var @case in unpinned)
                if (PolicyToPin(@case, catalog, now) is { } policy)
                    pins.Add(cases[@case.CaseId] = @case with { PolicyCategory = policy.Category, PolicyPriority = policy.Priority, PolicyVersion = policy.Version });
        }
        var pinned = pins.Select(c => c.CaseId).ToHashSet();

        // Every event's actions, in arrival order, onto its case's clocks as stored.
        var clocksOfCase = caseIds.ToDictionary(id => id, id => stored[id].ToDictionary(c => c.Clock, StringComparer.Ordinal));
        var changedOfCase = caseIds.ToDictionary(id => id, _ => new HashSet<string>(StringComparer.Ordinal));
        foreach (var update in updates)
            foreach (var action in update.Actions)
                if (ClockTransitions.Apply(update.CaseId, clocksOfCase[update.CaseId].GetValueOrDefault(action.Clock), action) is { } clock)
                {
                    clocksOfCase[update.CaseId][action.Clock] = clock;
                    changedOfCase[update.CaseId].Add(action.Clock);
                }

        var written = caseIds.SelectMany(id => changedOfCase[id].Select(name => clocksOfCase[id][name])).ToList();
        // A clock's next timer is inserted when its run or generation begins, in the same transaction, and stays until it
        // fires (and the poller sets the one after) or is superseded: only the clocks the events wrote need one, or every
        // clock when the policy was just pinned (before that, no clock had any).
        var needTimers = caseIds.Select(id => (Case: cases[id],
            Clocks: clocksOfCase[id].Values.Where(c => pinned.Contains(id) || changedOfCase[id].Contains(c.Clock)).ToList())).ToList();
        var catalogHeld = await policies.HoldingAsync(connection, transaction, needTimers.Select(n => n.Case.Policy), cancellationToken);
        var timers = new List<TimerRow>();
        var dueNow = needTimers.ToDictionary(n => n.Case.CaseId, n => TimersOf(n.Case, n.Clocks, catalogHeld, now, timers));

        await WriteAsync(transaction, pins, written, timers, cancellationToken, commit);
        return [.. updates.Select(u => dueNow[u.CaseId])];
    }

    /// <summary>
    /// One statement of a group's case updates, each row a different case, from <c>@updates</c>: each field only moves the
    /// way an event may move it, so that the events of a case applied one after another end the same in any order.
    /// </summary>
    internal const string UpdateCasesSql =
        $"""
        update cases set
            category = coalesce(category, u.new_category),
            allegation_types = case when u.new_allegation_types is null or cardinality(allegation_types) > 0 then allegation_types else u.new_allegation_types end,
            anonymous = coalesce(anonymous, u.new_anonymous),
            -- Subjects only ever join a case (receipt, then amended allegations), so a union is right in any order.
            subject_badges = case when u.new_subject_badges is null then subject_badges
                                  else array(select distinct b from unnest(subject_badges || u.new_subject_badges) b order by b) end,
            -- least(null, x) is x in PostgreSQL, so the first receipt instant sticks and an earlier one wins.
            received_at = least(received_at, u.new_received_at),
            owner_kind = case when u.new_owner_kind is not null and u.new_version > owner_version then u.new_owner_kind else owner_kind end,
            owner_id = case when u.new_owner_kind is not null and u.new_version > owner_version then u.new_owner_id else owner_id end,
            escalation_level = case when u.new_owner_kind is not null and u.new_version > owner_version and u.new_escalation_level is not null
                                    then u.new_escalation_level else escalation_level end,
            owner_version = case when u.new_owner_kind is not null and u.new_version > owner_version then u.new_version else owner_version end,
            status = case when u.new_status is not null and u.new_version > status_version then u.new_status else status end,
            status_version = case when u.new_status is not null and u.new_version > status_version then u.new_version else status_version end
        from jsonb_to_recordset(@updates::jsonb) as u(
            update_case_id uuid, new_category text, new_allegation_types text[], new_anonymous boolean, new_subject_badges text[],
            new_received_at timestamptz, new_owner_kind text, new_owner_id text, new_escalation_level int, new_version bigint, new_status text)
        -- The group's ids (@caseIds) as well as the join: PostgreSQL takes jsonb_to_recordset for 100 rows, and for 100 rows
        -- it would read a table of a few thousand cases whole rather than probe its key 100 times.
        where case_id = u.update_case_id and case_id = any(@caseIds)
        returning {CaseColumns}
        """;

    /// <summary>An update as one row of <see cref="UpdateCasesSql"/>'s recordset.</summary>
    private static object CaseUpdateJson(CaseUpdate update) => new
    {
        update_case_id = update.CaseId,
        new_category = update.Category,
        new_allegation_types = update.AllegationTypes,
        new_anonymous = update.Anonymous,
        new_subject_badges = update.SubjectBadges,
        new_received_at = update.ReceivedAt is { } receivedAt ? ClockTransitions.StoredInstant(receivedAt) : (DateTime?)null,
        new_owner_kind = update.Owner?.Kind,
        new_owner_id = update.Owner?.Id,
        new_escalation_level = update.EscalationLevel,
        new_version = update.Version,
        new_status = update.Status,
    };

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
    /// Inserts the next timer of each of the case's running clocks, for their current generation.
    /// Timers of older generations stay behind and are marked superseded when they come due.
    /// </summary>
    public async Task<bool> RescheduleAsync(NpgsqlTransaction transaction, Guid caseId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await LockCaseAsync(transaction, caseId, cancellationToken) is not { Policy: not null } @case)
            return false; // no category yet: the clocks run, and get their timers when the policy is pinned
        var connection = transaction.Connection!;
        var clocks = await ClocksAsync(connection, transaction, caseId, cancellationToken);
        var catalog = await policies.HoldingAsync(connection, transaction, [@case.Policy], cancellationToken);
        var timers = new List<TimerRow>();
        var dueNow = TimersOf(@case, clocks, catalog, now, timers);
        await WriteAsync(transaction, [], [], timers, cancellationToken);
        return dueNow;
    }

    /// <summary>A timer to insert: one threshold of one run and generation of a case's clock.</summary>
    private sealed record TimerRow(Guid CaseId, string Clock, int Run, int Generation, int Percent, DateTimeOffset FireAt);

    /// <summary>
    /// Adds to <paramref name="timers"/> the next threshold of each of the case's running <paramref name="clocks"/>, for the
    /// generation each is in; the poller sets the one after when it fires it. True when one of them is already due. A case with no policy yet gets none: the clocks run, and
    /// get their timers when the policy is pinned.
    /// </summary>
    private bool TimersOf(CaseRow @case, IEnumerable<ClockRow> clocks, PolicyCatalog catalog, DateTimeOffset now, List<TimerRow> timers)
    {
        if (@case.Policy is not { } key)
            return false;
        var running = clocks.Where(c => c.State == "running").ToList();
        if (running.Count == 0)
            return false;
        var policy = catalog.Find(key) ?? throw new InvalidOperationException($"Case {@case.CaseId} runs under policy {key}, which does not exist.");
        var dueNow = false;
        foreach (var clock in running)
            if (TimerSchedule.Next(clock.ToRun(policy, calendar), policy, clock.FiredPercents, calendar, now) is var (percent, fireAt))
            {
                timers.Add(new TimerRow(@case.CaseId, clock.Clock, clock.Run, clock.Generation, percent, fireAt.ForDb()));
                dueNow |= fireAt <= now;
            }
        return dueNow;
    }

    /// <summary>The version a case is pinned to: the one in force when it was received, or the earliest if none was yet.</summary>
    private SlaPolicy? PolicyToPin(CaseRow @case, PolicyCatalog catalog, DateTimeOffset now)
    {
        var priority = Priorities.Of(@case.Category!, @case.AllegationTypes, settings.UrgentCategories);
        var startedAt = DbTime.Utc(@case.ReceivedAt) ?? now;
        return catalog.Resolve(@case.Category!, priority, startedAt)
               ?? catalog.All.Where(p => p.Priority == priority && (p.Category == @case.Category || p.Category == SlaPolicy.AnyCategory))
                   .OrderBy(p => p.Category == SlaPolicy.AnyCategory).ThenBy(p => p.EffectiveFrom).FirstOrDefault();
    }

    /// <summary>
    /// The pins, the clocks and the timers of a group, in one round trip: one statement for each kind that has rows. A case
    /// keeps the policy version it was pinned to for life; a clock is written whole, as folded from the row read under the
    /// case's lock; a timer already there (the same threshold of the same generation) is left as it is.
    /// </summary>
    /// <summary>The writes in one round trip; with <paramref name="commit"/>, the COMMIT too (if a write fails, PostgreSQL skips it).</summary>
    private static async Task WriteAsync(
        NpgsqlTransaction transaction, IReadOnlyList<CaseRow> pins, IReadOnlyList<ClockRow> clocks, IReadOnlyList<TimerRow> timers, CancellationToken cancellationToken,
        bool commit = false)
    {
        var statements = new List<string>();
        if (pins.Count > 0)
            statements.Add(
                """
                update cases set policy_category = p.category, policy_priority = p.priority, policy_version = p.version
                from unnest(@pinIds, @pinCategories, @pinPriorities, @pinVersions) as p(id, category, priority, version)
                where case_id = p.id
                """);
        if (clocks.Count > 0)
            statements.Add(
                """
                insert into clocks (case_id, clock, state, run, generation, started_at, stopped_at, pauses, owner_kind, owner_id, handoff_id,
                                    fired_percents, breached_at, version)
                select case_id, clock, state, run, generation, started_at, stopped_at, pauses, owner_kind, owner_id, handoff_id,
                       fired_percents, breached_at, version
                from jsonb_to_recordset(@clocks::jsonb) as c(
                    case_id uuid, clock text, state text, run int, generation int, started_at timestamptz, stopped_at timestamptz, pauses jsonb,
                    owner_kind text, owner_id text, handoff_id uuid, fired_percents int[], breached_at timestamptz, version bigint)
                order by case_id, clock
                on conflict (case_id, clock) do update set
                    state = excluded.state, run = excluded.run, generation = excluded.generation, started_at = excluded.started_at,
                    stopped_at = excluded.stopped_at, pauses = excluded.pauses, owner_kind = excluded.owner_kind, owner_id = excluded.owner_id,
                    handoff_id = excluded.handoff_id, fired_percents = excluded.fired_percents, breached_at = excluded.breached_at,
                    version = excluded.version, written_at = now()
                """);
        // One statement for all of them: a case's running clocks need one each.
        if (timers.Count > 0)
            statements.Add(
                """
                insert into timers (case_id, clock, run, generation, percent, fire_at)
                select t.case_id, t.clock, t.run, t.generation, t.percent, t.fire_at
                from unnest(@timerCaseIds, @timerClocks, @timerRuns, @timerGenerations, @timerPercents, @timerFireAts)
                    as t(case_id, clock, run, generation, percent, fire_at)
                on conflict do nothing
                """);
        if (commit)
            statements.Add("commit");
        if (statements.Count == 0)
            return;
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            string.Join(";\n", statements),
            new
            {
                pinIds = pins.Select(p => p.CaseId).ToArray(),
                pinCategories = pins.Select(p => p.PolicyCategory!).ToArray(),
                pinPriorities = pins.Select(p => p.PolicyPriority!).ToArray(),
                pinVersions = pins.Select(p => p.PolicyVersion!.Value).ToArray(),
                clocks = JsonSerializer.Serialize(clocks.Select(c => new
                {
                    case_id = c.CaseId, clock = c.Clock, state = c.State, run = c.Run, generation = c.Generation, started_at = c.StartedAt,
                    stopped_at = c.StoppedAt, pauses = JsonDocument.Parse(c.Pauses).RootElement, owner_kind = c.OwnerKind, owner_id = c.OwnerId,
                    handoff_id = c.HandoffId, fired_percents = c.FiredPercents, breached_at = c.BreachedAt, version = c.Version,
                })),
                timerCaseIds = timers.Select(t => t.CaseId).ToArray(),
                timerClocks = timers.Select(t => t.Clock).ToArray(),
                timerRuns = timers.Select(t => t.Run).ToArray(),
                timerGenerations = timers.Select(t => t.Generation).ToArray(),
                timerPercents = timers.Select(t => t.Percent).ToArray(),
                timerFireAts = timers.Select(t => t.FireAt).ToArray(),
            },
            // A COMMIT sent as a statement ends the transaction under the transaction object, as the inbox's does.
            commit ? null : transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Our own event counter for the case: the CaseVersion of the next event we say about it.</summary>
    public static Task<long> NextEventVersionAsync(NpgsqlTransaction transaction, Guid caseId, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
            "update cases set event_seq = event_seq + 1 where case_id = @caseId returning event_seq", new { caseId }, transaction, cancellationToken: cancellationToken));
}

/// <summary>What the policies file says beyond the policies themselves.</summary>
public sealed record PolicySettings(IReadOnlyCollection<string> UrgentCategories);
