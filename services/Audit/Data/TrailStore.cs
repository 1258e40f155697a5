using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Accountability.Audit.Features.Replay;
using Accountability.Audit.Verification;
using Dapper;
using Npgsql;

namespace Accountability.Audit.Data;

/// <summary>
/// Reads of the trail, on whatever connection the caller holds: the service's writer-role
/// connection or the CLI's own. One set of queries, so the API and the CLI see the same trail.
/// </summary>
public static class TrailStore
{
    private const string RecordColumns =
        "global_seq, event_id, case_id, case_seq, type, source, occurred_at, recorded_at, body, traceparent, prev_hash, case_prev_hash, hash";

    /// <summary>True when the connection's schema holds an audit trail at all.</summary>
    public static Task<bool> ExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select to_regclass('audit_events') is not null", cancellationToken: cancellationToken));

    public static Task<long> CountAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from audit_events", transaction: transaction, cancellationToken: cancellationToken));

    /// <summary>The newest record's global_seq (0 for an empty trail): one index probe, unlike count(*).</summary>
    public static async Task<long> NewestSeqAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "select max(global_seq) from audit_events", transaction: transaction, cancellationToken: cancellationToken)) ?? 0;

    /// <summary>Every record in global order (optionally only those recorded in [from, to), only those of one case), streamed.</summary>
    public static async IAsyncEnumerable<AuditRecord> ReadRecordsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction,
        DateTimeOffset? recordedFrom = null, DateTimeOffset? recordedTo = null, Guid? caseId = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(
            $"""
            select {RecordColumns} from audit_events
            where (@from::timestamptz is null or recorded_at >= @from) and (@to::timestamptz is null or recorded_at < @to)
              and (@caseId::uuid is null or case_id = @caseId)
            order by global_seq
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)recordedFrom ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("to", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)recordedTo ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("caseId", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)caseId ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            yield return ReadRecord(reader);
    }

    public static async Task<IReadOnlyList<Checkpoint>> ReadCheckpointsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "select global_seq, hash, key_id, signed_at, signature from audit_checkpoints order by global_seq", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var checkpoints = new List<Checkpoint>();
        while (await reader.ReadAsync(cancellationToken))
            checkpoints.Add(new Checkpoint(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<byte[]>(4)));
        return checkpoints;
    }

    /// <summary>Public keys (PEM) by key id, as recorded in the schema.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ReadPublicKeysAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string KeyId, string Pem)>(new CommandDefinition(
            "select key_id, public_key_pem from audit_signing_keys", transaction: transaction, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.KeyId, r => r.Pem, StringComparer.Ordinal);
    }

    /// <summary>A case's records exactly as stored, in case_seq order; empty when the trail never saw the case.</summary>
    public static async Task<IReadOnlyList<AuditRecord>> ReadCaseRecordsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid caseId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"select {RecordColumns} from audit_events where case_id = @caseId order by case_seq", connection, transaction);
        command.Parameters.AddWithValue("caseId", caseId);
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>The records with after &lt; global_seq &lt;= upTo, in global order.</summary>
    public static async Task<IReadOnlyList<AuditRecord>> ReadRangeAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long after, long upTo, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"select {RecordColumns} from audit_events where global_seq > @after and global_seq <= @upTo order by global_seq", connection, transaction);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("upTo", upTo);
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>The chain links (prev_hash, hash) of the given records, by global_seq; absent records are simply not in the answer.</summary>
    public static async Task<IReadOnlyDictionary<long, (byte[] PrevHash, byte[] Hash)>> ReadLinksAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyCollection<long> globalSeqs, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select global_seq, prev_hash, hash from audit_events where global_seq = any(@seqs)", connection, transaction);
        command.Parameters.AddWithValue("seqs", globalSeqs.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var links = new Dictionary<long, (byte[], byte[])>();
        while (await reader.ReadAsync(cancellationToken))
            links[reader.GetInt64(0)] = (reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2));
        return links;
    }

    /// <summary>The first checkpoint signed at or after the record, or null when none has been signed that far yet.</summary>
    public static async Task<Checkpoint?> ReadCheckpointCoveringAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long globalSeq, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "select global_seq, hash, key_id, signed_at, signature from audit_checkpoints where global_seq >= @seq order by global_seq limit 1", connection, transaction);
        command.Parameters.AddWithValue("seq", globalSeq);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Checkpoint(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<byte[]>(4))
            : null;
    }

    /// <summary>A case's recorded events in arrival order (case_seq); empty when the trail never saw the case.</summary>
    public static async Task<IReadOnlyList<TrailEvent>> ReadCaseAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid caseId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "select case_seq, global_seq, type, occurred_at, body, traceparent from audit_events where case_id = @caseId order by case_seq",
            connection, transaction);
        command.Parameters.AddWithValue("caseId", caseId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<TrailEvent>();
        while (await reader.ReadAsync(cancellationToken))
            events.Add(new TrailEvent(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                ParseBody(reader.GetFieldValue<byte[]>(4)), reader.IsDBNull(5) ? null : reader.GetString(5)));
        return events;
    }

    /// <summary>
    /// Every case with all its records, in case-id order and each case's records in case_seq order, streamed along the case
    /// chain's index: one query, so PostgreSQL sends the next rows while the caller folds these.
    /// </summary>
    public static async IAsyncEnumerable<(Guid CaseId, List<TrailEvent> Events)> ReadEveryCaseAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(
            """
            select case_id, case_seq, global_seq, type, occurred_at, body, traceparent
            from audit_events where case_id is not null
            order by case_id, case_seq
            """, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        Guid? current = null;
        var events = new List<TrailEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var caseId = reader.GetGuid(0);
            if (caseId != current)
            {
                if (current is { } finished)
                    yield return (finished, events);
                current = caseId;
                events = [];
            }
            events.Add(new TrailEvent(reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
                ParseBody(reader.GetFieldValue<byte[]>(5)), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }
        if (current is { } last)
            yield return (last, events);
    }

    public static TrailEvent ToTrailEvent(long caseSeq, long globalSeq, string type, DateTimeOffset occurredAt, byte[] body, string? traceParent) =>
        new(caseSeq, globalSeq, type, occurredAt, ParseBody(body), traceParent);

    /// <summary>
    /// A body as UTF-8 (Npgsql hands json over as its UTF-8 text), parsed in place: no string in between and no copy,
    /// which were most of a rebuild's reading. The document is left undisposed on purpose, because the element
    /// lives as long as its event; its index is a pooled array that the GC then reclaims like any other.
    /// </summary>
    private static JsonElement ParseBody(byte[] utf8) => JsonDocument.Parse(utf8.AsMemory()).RootElement;

    private static async Task<IReadOnlyList<AuditRecord>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<AuditRecord>();
        while (await reader.ReadAsync(cancellationToken))
            records.Add(ReadRecord(reader));
        return records;
    }

    private static AuditRecord ReadRecord(NpgsqlDataReader reader) => new(
        GlobalSeq: reader.GetInt64(0),
        EventId: reader.GetGuid(1),
        CaseId: reader.IsDBNull(2) ? null : reader.GetGuid(2),
        CaseSeq: reader.IsDBNull(3) ? null : reader.GetInt64(3),
        Type: reader.GetString(4),
        Source: reader.GetString(5),
        OccurredAt: reader.GetFieldValue<DateTimeOffset>(6),
        RecordedAt: reader.GetFieldValue<DateTimeOffset>(7),
        Body: reader.GetFieldValue<byte[]>(8), // json in binary: its UTF-8 text, verbatim
        TraceParent: reader.IsDBNull(9) ? null : reader.GetString(9),
        PrevHash: reader.GetFieldValue<byte[]>(10),
        CasePrevHash: reader.IsDBNull(11) ? null : reader.GetFieldValue<byte[]>(11),
        Hash: reader.GetFieldValue<byte[]>(12));
}
