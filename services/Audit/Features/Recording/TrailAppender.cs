using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Projections;
using Accountability.Audit.Verification;
using Accountability.Messaging.Outbox;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Accountability.Audit.Features.Recording;

/// <summary>A message about to be recorded.</summary>
public sealed record IncomingEvent(Guid EventId, object Message, AuditedMessageType Audited, string? TraceParent);

/// <summary>
/// Appends a batch of events to both chains inside one transaction: one chain-lock acquisition, one
/// read of the global head, one read of the heads of the cases in the batch, one COPY of the records,
/// and audit's own projections folded forward for just those cases, all before the commit. The
/// caller's transaction has already claimed the events in the inbox.
/// </summary>
public sealed class TrailAppender(AuditDatabase database, TimeProvider clock)
{
    /// <summary>The records appended, in order; an event whose id is already in the trail is left out.</summary>
    public async Task<IReadOnlyList<AuditRecord>> AppendAsync(
        NpgsqlTransaction transaction, IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        // From here on this transaction can only do what the writer role may: insert and select the trail.
        await connection.ExecuteAsync(new CommandDefinition(
            $"set local role \"{AuditDatabase.WriterRole(database.Schema)}\"", transaction: transaction, cancellationToken: cancellationToken));
        await ChainLock.AcquireChainAsync(transaction, database.Schema, cancellationToken);

        var ids = batch.Select(e => e.EventId).ToArray();
        var present = (await connection.QueryAsync<Guid>(new CommandDefinition(
            "select event_id from audit_events where event_id = any(@ids)", new { ids }, transaction, cancellationToken: cancellationToken))).ToHashSet();
        var fresh = batch.Where(e => present.Add(e.EventId)).ToList(); // Add also drops a duplicate inside the batch
        if (fresh.Count == 0)
            return [];

        var globalHead = await connection.QuerySingleOrDefaultAsync<ChainHead>(new CommandDefinition(
            "select global_seq as Seq, hash as Hash from audit_events order by global_seq desc limit 1",
            transaction: transaction, cancellationToken: cancellationToken));
        var caseIds = fresh.Select(e => e.Audited.CaseIdOf(e.Message)).OfType<Guid>().Distinct().ToArray();
        var caseHeads = caseIds.Length == 0
            ? []
            : (await connection.QueryAsync<CaseHead>(new CommandDefinition(
                """
                select h.case_id as CaseId, e.case_seq as Seq, e.hash as Hash
                from unnest(@caseIds) as h(case_id)
                cross join lateral (select case_seq, hash from audit_events a where a.case_id = h.case_id order by case_seq desc limit 1) e
                """, new { caseIds }, transaction, cancellationToken: cancellationToken)))
              .ToDictionary(h => h.CaseId, h => new ChainHead(h.Seq, h.Hash));

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
            var record = unhashed with { Hash = ChainHash.Compute(unhashed.PrevHash, unhashed) };
            records.Add(record);
            previous = new ChainHead(record.GlobalSeq, record.Hash);
            if (caseId is { } owner)
                caseHeads[owner] = new ChainHead(record.CaseSeq!.Value, record.Hash);
        }

        await CopyAsync(connection, records, cancellationToken);
        await CaseProjections.FoldForwardAsync(transaction, records, cancellationToken);
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
            await writer.WriteAsync(r.Body, NpgsqlDbType.Jsonb, cancellationToken);
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

    private sealed record CaseHead(Guid CaseId, long Seq, byte[] Hash);
}
