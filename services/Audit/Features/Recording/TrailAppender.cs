using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Projections;
using Accountability.Audit.Verification;
using Accountability.Messaging.Outbox;
using Dapper;
using Npgsql;

namespace Accountability.Audit.Features.Recording;

/// <summary>A message about to be recorded.</summary>
public sealed record IncomingEvent(Guid EventId, object Message, AuditedMessageType Audited, string? TraceParent);

/// <summary>
/// Appends one event to both chains inside the consumer's inbox transaction. Under the chain lock
/// it reads the global head and the case head, numbers the record, hashes it, inserts it as the
/// writer role, and updates audit's own projections of the case, all before the commit.
/// </summary>
public sealed class TrailAppender(AuditDatabase database, TimeProvider clock)
{
    /// <summary>Returns the record, or null when the event id is already in the trail.</summary>
    public async Task<AuditRecord?> AppendAsync(NpgsqlTransaction transaction, IncomingEvent incoming, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        // From here on this transaction can only do what the writer role may: insert and select the trail.
        await connection.ExecuteAsync(new CommandDefinition(
            $"set local role \"{AuditDatabase.WriterRole(database.Schema)}\"", transaction: transaction, cancellationToken: cancellationToken));
        await ChainLock.AcquireChainAsync(transaction, database.Schema, cancellationToken);

        var duplicate = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from audit_events where event_id = @EventId)", new { incoming.EventId }, transaction, cancellationToken: cancellationToken));
        if (duplicate)
            return null;

        var globalHead = await connection.QuerySingleOrDefaultAsync<ChainHead>(new CommandDefinition(
            "select global_seq as Seq, hash as Hash from audit_events order by global_seq desc limit 1",
            transaction: transaction, cancellationToken: cancellationToken));
        var caseId = incoming.Audited.CaseIdOf(incoming.Message);
        ChainHead? caseHead = null;
        if (caseId is not null)
            caseHead = await connection.QuerySingleOrDefaultAsync<ChainHead>(new CommandDefinition(
                "select case_seq as Seq, hash as Hash from audit_events where case_id = @caseId order by case_seq desc limit 1",
                new { caseId }, transaction, cancellationToken: cancellationToken));

        var body = CanonicalJson.Canonicalize(JsonSerializer.Serialize(incoming.Message, incoming.Audited.Type, OutboxMessage.Json));
        var unhashed = new AuditRecord(
            GlobalSeq: (globalHead?.Seq ?? 0) + 1,
            EventId: incoming.EventId,
            CaseId: caseId,
            CaseSeq: caseId is null ? null : (caseHead?.Seq ?? 0) + 1,
            Type: incoming.Audited.Name,
            Source: incoming.Audited.Source,
            OccurredAt: ChainHash.ToMicroseconds(incoming.Audited.OccurredAtOf(incoming.Message)),
            RecordedAt: ChainHash.ToMicroseconds(clock.GetUtcNow()),
            Body: body,
            TraceParent: incoming.TraceParent,
            PrevHash: globalHead?.Hash ?? ChainHash.Genesis,
            CasePrevHash: caseHead?.Hash,
            Hash: []);
        var record = unhashed with { Hash = ChainHash.Compute(unhashed.PrevHash, unhashed) };

        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into audit_events (global_seq, event_id, case_id, case_seq, type, source, occurred_at, recorded_at,
                                      body, traceparent, prev_hash, case_prev_hash, hash)
            values (@GlobalSeq, @EventId, @CaseId, @CaseSeq, @Type, @Source, @OccurredAt, @RecordedAt,
                    @Body::jsonb, @TraceParent, @PrevHash, @CasePrevHash, @Hash)
            """, record, transaction, cancellationToken: cancellationToken));

        if (caseId is { } id)
            await CaseProjections.RefreshCaseAsync(transaction, id, cancellationToken);
        return record;
    }

    private sealed record ChainHead(long Seq, byte[] Hash);
}
