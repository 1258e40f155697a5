using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Replay;
using Dapper;
using Npgsql;

namespace Accountability.Audit.Features.Projections;

/// <summary>
/// Audit's own projections of the trail: audit_case_state (a case's current state as JSON) and
/// audit_custody (its custody intervals). Both are a pure function of the case's recorded events,
/// kept up to date inline with every append and rebuilt on demand by resetting and replaying the
/// whole trail in global order (the Marten style), so a rebuild reproduces them byte for byte.
/// </summary>
public static class CaseProjections
{
    public const string CaseState = "case-state";
    public const string Custody = "custody";

    public static readonly IReadOnlyList<string> Names = [CaseState, Custody];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task RefreshCaseAsync(NpgsqlTransaction transaction, Guid caseId, CancellationToken cancellationToken)
    {
        var events = await TrailStore.ReadCaseAsync(transaction.Connection!, transaction, caseId, cancellationToken);
        var lastGlobalSeq = events.Max(e => e.GlobalSeq);
        var state = CaseFold.StateAsOf(caseId, events);
        await WriteCaseStateAsync(transaction, state, events.Count, lastGlobalSeq, cancellationToken);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "delete from audit_custody where case_id = @caseId", new { caseId }, transaction, cancellationToken: cancellationToken));
        await WriteCustodyAsync(transaction, state, cancellationToken);
    }

    /// <summary>
    /// Resets the named projections and replays every record in global order. Holds the chain lock,
    /// so appends wait for the rebuild instead of racing it. Returns the number of records replayed.
    /// </summary>
    public static async Task<RebuildResult> RebuildAsync(
        NpgsqlConnection connection, string schema, IReadOnlyCollection<string> names,
        IProgress<(long Done, long Total)>? progress, CancellationToken cancellationToken)
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
        var byCase = new Dictionary<Guid, List<TrailEvent>>();
        var order = new List<Guid>();
        long done = 0;
        // Materialise first: one connection cannot stream a reader and write at the same time.
        await foreach (var record in TrailStore.ReadRecordsAsync(connection, transaction, cancellationToken: cancellationToken))
        {
            if (++done % 500 == 0)
                progress?.Report((done, total));
            if (record.CaseId is not { } caseId)
                continue;
            if (!byCase.TryGetValue(caseId, out var events))
            {
                byCase[caseId] = events = [];
                order.Add(caseId);
            }
            events.Add(TrailStore.ToTrailEvent(record.CaseSeq!.Value, record.GlobalSeq, record.Type, record.OccurredAt, record.Body, record.TraceParent));
        }
        progress?.Report((done, total));

        foreach (var caseId in order)
        {
            var events = byCase[caseId];
            var state = CaseFold.StateAsOf(caseId, events);
            if (names.Contains(CaseState))
                await WriteCaseStateAsync(transaction, state, events.Count, events.Max(e => e.GlobalSeq), cancellationToken);
            if (names.Contains(Custody))
                await WriteCustodyAsync(transaction, state, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new RebuildResult([.. names], done, order.Count);
    }

    private static Task WriteCaseStateAsync(NpgsqlTransaction transaction, CaseStateView state, int eventCount, long lastGlobalSeq, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into audit_case_state (case_id, state, event_count, last_global_seq)
            values (@CaseId, @State::jsonb, @EventCount, @LastGlobalSeq)
            on conflict (case_id) do update set state = excluded.state, event_count = excluded.event_count, last_global_seq = excluded.last_global_seq
            """,
            new { state.CaseId, State = JsonSerializer.Serialize(state, Json), EventCount = eventCount, LastGlobalSeq = lastGlobalSeq },
            transaction, cancellationToken: cancellationToken));

    private static Task WriteCustodyAsync(NpgsqlTransaction transaction, CaseStateView state, CancellationToken cancellationToken) =>
        state.Custody.Count == 0
            ? Task.CompletedTask
            : transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                insert into audit_custody (case_id, seq, owner_kind, owner_id, from_at, to_at, transfer_kind, reason, actor)
                values (@CaseId, @Seq, @OwnerKind, @OwnerId, @From, @To, @TransferKind, @Reason, @Actor)
                """,
                state.Custody.Select(i => new
                {
                    state.CaseId, i.Seq, OwnerKind = i.Owner.Kind, OwnerId = i.Owner.Id, i.From, i.To, i.TransferKind, i.Reason, i.Actor,
                }),
                transaction, cancellationToken: cancellationToken));
}

public sealed record RebuildResult(IReadOnlyList<string> Projections, long RecordsReplayed, int Cases);
