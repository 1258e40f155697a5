using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Projections;
using Accountability.Audit.Verification;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Npgsql;
using NpgsqlTypes;

namespace Accountability.Audit.Features.Recording;

/// <summary>
/// A message about to be recorded. <see cref="InboxId"/> is the message the inbox claims: the event itself, or the envelope
/// that carried it (several records, one claim).
/// </summary>
public sealed record IncomingEvent(Guid EventId, object Message, AuditedMessageType Audited, string? TraceParent)
{
    public Guid InboxId { get; init; } = EventId;
}

/// <summary>
/// Appends a batch of events to both chains inside one transaction: one chain-lock acquisition, one
/// read of the global head, one read of the heads of the cases in the batch (sent together, with the
/// read of their stored projections, in one round trip), one COPY of the records, and audit's own
/// projections folded forward for just those cases, all before the commit. The caller's transaction
/// has already claimed the events in the inbox.
/// </summary>
public sealed class TrailAppender(AuditDatabase database, TimeProvider clock)
{
    /// <summary>
    /// The records appended, in order; an event whose id is already in the trail is left out. With <paramref name="claim"/>
    /// (an inbox claim whose rows are the ids claimed now, see <c>Inbox.ClaimStatement</c>), only the events whose InboxId it claims are
    /// appended, and it is sent in the first round trip; with <paramref name="commit"/>, the COMMIT goes in the last.
    /// </summary>
    public async Task<IReadOnlyList<AuditRecord>> AppendAsync(
        NpgsqlTransaction transaction, IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken,
        NpgsqlBatchCommand? claim = null, bool commit = false)
    {
        var connection = transaction.Connection!;
        var ids = batch.Select(e => e.EventId).ToArray();
        var batchCaseIds = batch.Select(e => e.Audited.CaseIdOf(e.Message)).OfType<Guid>().Distinct().ToArray();

        // Everything the batch needs to read, after the lock, in one round trip. Every statement is a select, so each
        // has a result set to step over. From the first on, this transaction can only do what the writer role may:
        // insert and select the trail.
        HashSet<Guid>? claimed = claim is null ? null : [];
        var present = new HashSet<Guid>();
        ChainHead? globalHead = null;
        var caseHeads = new Dictionary<Guid, ChainHead>();
        IReadOnlyDictionary<Guid, CaseProjections.StoredState> stored;
        await using (var reads = new NpgsqlBatch(connection, transaction))
        {
            if (claim is not null)
                reads.BatchCommands.Add(claim);
            reads.BatchCommands.Add(BatchStatements.Of("select set_config('role', @role, true)", new { role = AuditDatabase.WriterRole(database.Schema) }));
            reads.BatchCommands.Add(ChainLock.ChainStatement(database.Schema));
            reads.BatchCommands.Add(BatchStatements.Of("select event_id from audit_events where event_id = any(@ids)", new { ids }));
            reads.BatchCommands.Add(new NpgsqlBatchCommand("select global_seq, hash from audit_events order by global_seq desc limit 1"));
            reads.BatchCommands.Add(BatchStatements.Of(
                """
                select h.case_id, e.case_seq, e.hash
                from unnest(@caseIds) as h(case_id)
                cross join lateral (select case_seq, hash from audit_events a where a.case_id = h.case_id order by case_seq desc limit 1) e
                """, new { caseIds = batchCaseIds }));
            reads.BatchCommands.Add(CaseProjections.StoredStatesStatement(batchCaseIds));
            await using var reader = await reads.ExecuteReaderAsync(cancellationToken);
            if (claimed is not null)
            {
                while (await reader.ReadAsync(cancellationToken))
                    claimed.Add(reader.GetGuid(0));
                await reader.NextResultAsync(cancellationToken);
            }
            await reader.NextResultAsync(cancellationToken); // past the role
            await reader.NextResultAsync(cancellationToken); // past the lock
            while (await reader.ReadAsync(cancellationToken))
                present.Add(reader.GetGuid(0));
            await reader.NextResultAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
                globalHead = new ChainHead(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                caseHeads[reader.GetGuid(0)] = new ChainHead(reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
            await reader.NextResultAsync(cancellationToken);
            stored = await CaseProjections.ReadStoredStatesAsync(reader, cancellationToken);
        }

        // Add also drops a duplicate inside the batch.
        var fresh = batch.Where(e => (claimed is null || claimed.Contains(e.InboxId)) && present.Add(e.EventId)).ToList();
        if (fresh.Count == 0)
        {
            if (commit)
                await transaction.CommitAsync(cancellationToken);
            return [];
        }

        var recordedAt = ChainHash.ToMicroseconds(clock.GetUtcNow());
        var previous = globalHead ?? new ChainHead(0, ChainHash.Genesis);
        var records = new List<AuditRecord>(fresh.Count);
        foreach (var incoming in fresh)
        {
            var caseId = incoming.Audited.CaseIdOf(incoming.Message);
            ChainHead? caseHead = caseId is { } id ? caseHeads.GetValueOrDefault(id) : null;
            var unhashed = new AuditRecord(
                GlobalSeq: previous.Seq + 1,
                EventId: incoming.EventId,
                CaseId: caseId,
                CaseSeq: caseId is null ? null : (caseHead?.Seq ?? 0) + 1,
                Type: incoming.Audited.Name,
                Source: incoming.Audited.Source,
                OccurredAt: ChainHash.ToMicroseconds(incoming.Audited.OccurredAtOf(incoming.Message)),
                RecordedAt: recordedAt,
                Body: CanonicalJson.Canonicalize(JsonSerializer.SerializeToUtf8Bytes(incoming.Message, incoming.Audited.Type, OutboxMessage.Json)),
                TraceParent: incoming.TraceParent,
                PrevHash: previous.Hash,
                CasePrevHash: caseHead?.Hash,
                Hash: []);
            var record = unhashed with { Hash = ChainHash.Compute(unhashed.PrevHash, unhashed, bodyIsCanonical: true) };
            records.Add(record);
            previous = new ChainHead(record.GlobalSeq, record.Hash);
            if (caseId is { } owner)
                caseHeads[owner] = new ChainHead(record.CaseSeq!.Value, record.Hash);
        }

        await CopyAsync(connection, records, cancellationToken);
        // The folded projections and the COMMIT in one round trip: if a write fails, PostgreSQL skips the COMMIT.
        await using var write = new NpgsqlBatch(connection);
        foreach (var statement in await CaseProjections.FoldForwardAsync(transaction, records, stored, cancellationToken))
            write.BatchCommands.Add(statement);
        if (commit)
            write.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
        if (write.BatchCommands.Count > 0)
            await write.ExecuteNonQueryAsync(cancellationToken);
        return records;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync(
            """
            copy audit_events (global_seq, event_id, case_id, case_seq, type, source, occurred_at, recorded_at,
                               body, traceparent, prev_hash, case_prev_hash, hash) from stdin (format binary)
            """, cancellationToken);
        foreach (var r in records)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(r.GlobalSeq, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(r.EventId, NpgsqlDbType.Uuid, cancellationToken);
            await WriteNullableAsync(writer, r.CaseId, NpgsqlDbType.Uuid, cancellationToken);
            await WriteNullableAsync(writer, r.CaseSeq, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(r.Type, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(r.Source, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(r.OccurredAt, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(r.RecordedAt, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(r.Body, NpgsqlDbType.Json, cancellationToken);
            await WriteNullableAsync(writer, r.TraceParent, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(r.PrevHash, NpgsqlDbType.Bytea, cancellationToken);
            await WriteNullableAsync(writer, r.CasePrevHash, NpgsqlDbType.Bytea, cancellationToken);
            await writer.WriteAsync(r.Hash, NpgsqlDbType.Bytea, cancellationToken);
        }
        await writer.CompleteAsync(cancellationToken);
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, type, cancellationToken);

    private sealed record ChainHead(long Seq, byte[] Hash);
}
