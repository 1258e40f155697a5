using System.Data;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Replay;
using Accountability.Audit.Verification;
using Accountability.Contracts.Audit;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Dapper;
using Npgsql;

namespace Accountability.Audit.Features.Projections;

/// <summary>
/// Audit's own projections of the trail: audit_case_state (a case's current state as JSON) and
/// audit_custody (its custody intervals). Both are a pure function of the case's recorded events,
/// kept up to date inline with every append and rebuilt on demand by resetting them and folding every
/// case's records again, streamed and written a page of cases at a time, so a rebuild reproduces them byte for byte.
/// </summary>
public static partial class CaseProjections
{
    public const string CaseState = "case-state";
    public const string Custody = "custody";

    public static readonly IReadOnlyList<string> Names = [CaseState, Custody];

    /// <summary>Cases folded and written together in a rebuild: with the pages waiting, bounds its memory.</summary>
    private const int RebuildPageCases = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Brings the projections of the cases in <paramref name="records"/> (just appended, in this
    /// transaction) up to date. A case whose new records all come after its stored state in causal
    /// order is folded forward from that state, so the cost does not grow with the case's length;
    /// any other case (a record that arrived late, a state from before this was stored) is folded
    /// again from all its records. Either way the result equals a rebuild's.
    /// </summary>
    /// <param name="stored">The stored states of (at least) the records' cases, read after the chain lock (<see cref="StoredStatesStatement"/>).</param>
    /// <returns>The statements that write the folded states and intervals, for the caller to send in one round trip.</returns>
    public static async Task<IReadOnlyList<NpgsqlBatchCommand>> FoldForwardAsync(
        NpgsqlTransaction transaction, IReadOnlyList<AuditRecord> records, IReadOnlyDictionary<Guid, StoredState> stored, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var newByCase = records.Where(r => r.CaseId is not null)
            .GroupBy(r => r.CaseId!.Value)
            .ToDictionary(g => g.Key, g => g.Select(r => TrailStore.ToTrailEvent(r.CaseSeq!.Value, r.GlobalSeq, r.Type, r.OccurredAt, r.Body, r.TraceParent)).ToList());
        if (newByCase.Count == 0)
            return [];
        var caseIds = newByCase.Keys.ToArray();

        var states = new List<FoldedCase>(caseIds.Length);
        var refolded = new List<Guid>();
        var custody = new List<CustodyRow>();
        foreach (var (caseId, newer) in newByCase)
        {
            if (stored.TryGetValue(caseId, out var before) && before.LastOccurredAt is { } lastAt && before.LastCaseVersion is { } lastVersion
                && JsonSerializer.Deserialize<CaseStateView>(before.State, Json) is { } previous
                && CaseFold.Continue(previous, new CausalPosition(new DateTimeOffset(DateTime.SpecifyKind(lastAt, DateTimeKind.Utc)), lastVersion), newer) is { } next)
            {
                states.Add(new FoldedCase(next, before.EventCount + newer.Count, newer.Max(e => e.GlobalSeq), CaseFold.LastPosition(newer)));
                // Intervals before the previous last one cannot change; that one may have been closed.
                custody.AddRange(CustodyRows(next).Where(i => i.Seq >= previous.Custody.Count));
                continue;
            }
            // A case whose first record is in this batch has all its records here; only an older case is read back.
            var all = newer.Min(e => e.CaseSeq) == 1 && !stored.ContainsKey(caseId)
                ? (IReadOnlyList<TrailEvent>)newer
                : await TrailStore.ReadCaseAsync(connection, transaction, caseId, cancellationToken);
            var state = CaseFold.StateAsOf(caseId, all);
            states.Add(new FoldedCase(state, all.Count, all.Max(e => e.GlobalSeq), CaseFold.LastPosition(all)));
            refolded.Add(caseId);
            custody.AddRange(CustodyRows(state));
        }

        var statements = new List<NpgsqlBatchCommand> { BatchStatements.Of(WriteCaseStatesSql, CaseStateColumns(states)) };
        if (refolded.Count > 0)
            statements.Add(BatchStatements.Of("delete from audit_custody where case_id = any(@refolded)", new { refolded = refolded.ToArray() }));
        if (custody.Count > 0)
            statements.Add(BatchStatements.Of(WriteCustodySql, CustodyColumns(custody)));
        return statements;
    }

    /// <summary>Reads the stored states of <paramref name="caseIds"/>, as a statement of a batch; <see cref="ReadStoredStatesAsync"/> reads its rows.</summary>
    public static NpgsqlBatchCommand StoredStatesStatement(Guid[] caseIds) => BatchStatements.Of(
        """
        select case_id, state::text, event_count, last_occurred_at, last_case_version
        from audit_case_state where case_id = any(@caseIds)
        """, new { caseIds });

    /// <summary>The rows of <see cref="StoredStatesStatement"/>, where the reader stands.</summary>
    public static async Task<IReadOnlyDictionary<Guid, StoredState>> ReadStoredStatesAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var stored = new Dictionary<Guid, StoredState>();
        while (await reader.ReadAsync(cancellationToken))
            stored[reader.GetGuid(0)] = new StoredState(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTime>(3), reader.IsDBNull(4) ? null : reader.GetInt64(4));
        return stored;
    }

    /// <summary>
    /// Resets the named projections and folds every case's records again, streaming. Holds the chain lock,
    /// so appends wait for the rebuild instead of racing it. Returns the number of records replayed.
    /// The rebuild announces itself (<see cref="ProjectionRebuilt"/>, naming <paramref name="actor"/>) in the
    /// same transaction, so it reaches the trail exactly when it took effect.
    /// </summary>
    /// <param name="connection">Writes the projections, in one transaction that holds the chain lock.</param>
    /// <param name="openReading">
    /// Opens a second connection that reads the trail, in the writing transaction's own snapshot: PostgreSQL sends the
    /// records on one connection while this process folds them and PostgreSQL writes the folded pages on the other. With
    /// one connection the three took turns, and half of two cores stood idle through a rebuild (docs/bench.md,
    /// thirty-fourth round).
    /// </param>
    public static async Task<RebuildResult> RebuildAsync(
        NpgsqlConnection connection, Func<CancellationToken, Task<NpgsqlConnection>> openReading, string schema, IReadOnlyCollection<string> names,
        string actor, IProgress<(long Done, long Total)>? progress, CancellationToken cancellationToken, int pageCases = RebuildPageCases)
    {
        var unknown = names.Where(n => !Names.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown projection '{unknown[0]}'; known: {string.Join(", ", Names)}.", nameof(names));

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ChainLock.AcquireChainAsync(transaction, schema, cancellationToken);
        if (names.Contains(CaseState))
            await connection.ExecuteAsync(new CommandDefinition("truncate audit_case_state", transaction: transaction, cancellationToken: cancellationToken));
        if (names.Contains(Custody))
            await connection.ExecuteAsync(new CommandDefinition("truncate audit_custody", transaction: transaction, cancellationToken: cancellationToken));
        var total = await TrailStore.CountAsync(connection, transaction, cancellationToken);
        // Taken under the chain lock, so it holds every record there is until this transaction ends.
        var snapshot = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "select pg_export_snapshot()", transaction: transaction, cancellationToken: cancellationToken));

        // Pages of folded cases, at most two waiting: memory holds a few pages however long the trail is.
        var pages = Channel.CreateBounded<IReadOnlyList<FoldedCase>>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? readFailure = null;
        var reading = Task.Run(async () =>
        {
            try
            {
                await FoldEveryCaseAsync(openReading, snapshot!, pageCases, pages.Writer, stop.Token);
                pages.Writer.Complete();
            }
            catch (Exception exception)
            {
                readFailure = exception;
                pages.Writer.Complete(exception);
            }
        }, CancellationToken.None);

        var cases = 0;
        long done = 0;
        try
        {
            await foreach (var page in pages.Reader.ReadAllAsync(stop.Token))
            {
                await WriteAsync(transaction, names, page, stop.Token);
                cases += page.Count;
                done += page.Sum(c => c.EventCount);
                progress?.Report((Math.Min(done, total), total));
            }
        }
        catch
        {
            // A failure of the reading side is set before it closes the channel, so one that ended this loop is seen here,
            // and not one that the stop below causes. The transaction rolls back either way.
            var cause = readFailure;
            await stop.CancelAsync();
            await reading;
            if (cause is not null)
                ExceptionDispatchInfo.Throw(cause);
            throw;
        }
        await reading;

        // Records of no case (a directory change, a checkpoint) are part of the trail but of no case's projection.
        done = total;
        progress?.Report((done, total));

        var newest = await TrailStore.NewestSeqAsync(connection, transaction, cancellationToken);
        await OutboxWriter.EnqueueAsync(transaction, new ProjectionRebuilt
        {
            Projections = [.. names],
            Actor = actor,
            RecordsReplayed = done,
            Cases = cases,
            UpToGlobalSeq = newest,
            OccurredAt = DateTimeOffset.UtcNow,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RebuildResult([.. names], done, cases);
    }

    /// <summary>Reads every case in <paramref name="snapshot"/> on a connection of its own, folds each, and hands them on a page at a time.</summary>
    private static async Task FoldEveryCaseAsync(
        Func<CancellationToken, Task<NpgsqlConnection>> openReading, string snapshot, int pageCases,
        ChannelWriter<IReadOnlyList<FoldedCase>> pages, CancellationToken cancellationToken)
    {
        if (!SnapshotId().IsMatch(snapshot))
            throw new InvalidOperationException($"PostgreSQL exported a snapshot id of an unknown form: '{snapshot}'.");
        await using var connection = await openReading(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        // SET takes no parameters; the id's form was checked above.
        await connection.ExecuteAsync(new CommandDefinition($"set transaction snapshot '{snapshot}'", transaction: transaction, cancellationToken: cancellationToken));
        var page = new List<FoldedCase>(pageCases);
        await foreach (var (caseId, events) in TrailStore.ReadEveryCaseAsync(connection, transaction, cancellationToken))
        {
            page.Add(new FoldedCase(CaseFold.StateAsOf(caseId, events), events.Count, events.Max(e => e.GlobalSeq), CaseFold.LastPosition(events)));
            if (page.Count == pageCases)
            {
                await pages.WriteAsync(page, cancellationToken);
                page = new List<FoldedCase>(pageCases);
            }
        }
        if (page.Count > 0)
            await pages.WriteAsync(page, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>pg_export_snapshot's answer: hexadecimal groups joined by hyphens, such as 00000003-0000001B-1.</summary>
    [GeneratedRegex("^[0-9A-F]+(-[0-9A-F]+)+$")]
    private static partial Regex SnapshotId();

    private static async Task WriteAsync(NpgsqlTransaction transaction, IReadOnlyCollection<string> names, IReadOnlyList<FoldedCase> folded, CancellationToken cancellationToken)
    {
        if (folded.Count == 0)
            return;
        if (names.Contains(CaseState))
            await WriteCaseStatesAsync(transaction, folded, cancellationToken);
        if (names.Contains(Custody))
            await WriteCustodyAsync(transaction, [.. folded.SelectMany(f => CustodyRows(f.State))], cancellationToken);
    }

    private static Task WriteCaseStatesAsync(NpgsqlTransaction transaction, IReadOnlyList<FoldedCase> cases, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(WriteCaseStatesSql, CaseStateColumns(cases), transaction, cancellationToken: cancellationToken));

    private const string WriteCaseStatesSql =
        """
        insert into audit_case_state (case_id, state, event_count, last_global_seq, last_occurred_at, last_case_version)
        select c.case_id, c.state::jsonb, c.event_count, c.last_global_seq, c.last_occurred_at, c.last_case_version
        from unnest(@caseIds, @states, @eventCounts, @lastGlobalSeqs, @lastOccurredAts, @lastCaseVersions)
             as c(case_id, state, event_count, last_global_seq, last_occurred_at, last_case_version)
        on conflict (case_id) do update set state = excluded.state, event_count = excluded.event_count, last_global_seq = excluded.last_global_seq,
                                            last_occurred_at = excluded.last_occurred_at, last_case_version = excluded.last_case_version
        """;

    private static object CaseStateColumns(IReadOnlyList<FoldedCase> cases) => new
    {
        caseIds = cases.Select(c => c.State.CaseId).ToArray(),
        states = cases.Select(c => c.StateJson).ToArray(),
        eventCounts = cases.Select(c => c.EventCount).ToArray(),
        lastGlobalSeqs = cases.Select(c => c.LastGlobalSeq).ToArray(),
        lastOccurredAts = cases.Select(c => c.Position.OccurredAt).ToArray(),
        lastCaseVersions = cases.Select(c => c.Position.CaseVersion).ToArray(),
    };

    private static IEnumerable<CustodyRow> CustodyRows(CaseStateView state) =>
        state.Custody.Select(i => new CustodyRow(state.CaseId, i.Seq, i.Owner.Kind, i.Owner.Id, i.From, i.To, i.TransferKind, i.Reason, i.Actor));

    /// <summary>Inserts the intervals, or replaces those already stored (an open interval that has been closed since).</summary>
    private static Task WriteCustodyAsync(NpgsqlTransaction transaction, IReadOnlyList<CustodyRow> rows, CancellationToken cancellationToken) =>
        rows.Count == 0
            ? Task.CompletedTask
            : transaction.Connection!.ExecuteAsync(new CommandDefinition(WriteCustodySql, CustodyColumns(rows), transaction, cancellationToken: cancellationToken));

    private const string WriteCustodySql =
        """
        insert into audit_custody (case_id, seq, owner_kind, owner_id, from_at, to_at, transfer_kind, reason, actor)
        select * from unnest(@caseIds, @seqs, @ownerKinds, @ownerIds, @froms, @tos, @transferKinds, @reasons, @actors)
        on conflict (case_id, seq) do update set owner_kind = excluded.owner_kind, owner_id = excluded.owner_id, from_at = excluded.from_at,
            to_at = excluded.to_at, transfer_kind = excluded.transfer_kind, reason = excluded.reason, actor = excluded.actor
        """;

    private static object CustodyColumns(IReadOnlyList<CustodyRow> rows) => new
    {
        caseIds = rows.Select(r => r.CaseId).ToArray(),
        seqs = rows.Select(r => r.Seq).ToArray(),
        ownerKinds = rows.Select(r => r.OwnerKind).ToArray(),
        ownerIds = rows.Select(r => r.OwnerId).ToArray(),
        froms = rows.Select(r => r.From).ToArray(),
        tos = rows.Select(r => r.To).ToArray(),
        transferKinds = rows.Select(r => r.TransferKind).ToArray(),
        reasons = rows.Select(r => r.Reason).ToArray(),
        actors = rows.Select(r => r.Actor).ToArray(),
    };

    /// <summary>A case's stored projection; timestamptz is read as a UTC DateTime.</summary>
    public sealed record StoredState(Guid CaseId, string State, int EventCount, DateTime? LastOccurredAt, long? LastCaseVersion);

    /// <summary>A case folded, with its state already in the JSON it is stored as: serialising is part of folding, not of the write.</summary>
    private sealed record FoldedCase(CaseStateView State, int EventCount, long LastGlobalSeq, CausalPosition Position)
    {
        public string StateJson { get; } = JsonSerializer.Serialize(State, Json);
    }

    private sealed record CustodyRow(
        Guid CaseId, int Seq, string OwnerKind, string OwnerId, DateTimeOffset From, DateTimeOffset? To, string TransferKind, string Reason, string Actor);
}

public sealed record RebuildResult(IReadOnlyList<string> Projections, long RecordsReplayed, int Cases);
