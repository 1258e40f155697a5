using System.Runtime.CompilerServices;
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
        "global_seq, event_id, case_id, case_seq, type, source, occurred_at, recorded_at, body::text, traceparent, prev_hash, case_prev_hash, hash";

    /// <summary>True when the connection's schema holds an audit trail at all.</summary>
    public static Task<bool> ExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select to_regclass('audit_events') is not null", cancellationToken: cancellationToken));

    public static Task<long> CountAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from audit_events", transaction: transaction, cancellationToken: cancellationToken));

    /// <summary>Every record in global order (optionally only those recorded in [from, to)), streamed.</summary>
    public static async IAsyncEnumerable<AuditRecord> ReadRecordsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction,
        DateTimeOffset? recordedFrom = null, DateTimeOffset? recordedTo = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(
            $"""
            select {RecordColumns} from audit_events
            where (@from::timestamptz is null or recorded_at >= @from) and (@to::timestamptz is null or recorded_at < @to)
            order by global_seq
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)recordedFrom ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("to", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)recordedTo ?? DBNull.Value });
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

    /// <summary>A case's recorded events in arrival order (case_seq); empty when the trail never saw the case.</summary>
    public static async Task<IReadOnlyList<TrailEvent>> ReadCaseAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid caseId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "select case_seq, global_seq, type, occurred_at, body::text, traceparent from audit_events where case_id = @caseId order by case_seq",
            connection, transaction);
        command.Parameters.AddWithValue("caseId", caseId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<TrailEvent>();
        while (await reader.ReadAsync(cancellationToken))
            events.Add(ToTrailEvent(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        return events;
    }

    public static TrailEvent ToTrailEvent(long caseSeq, long globalSeq, string type, DateTimeOffset occurredAt, string body, string? traceParent)
    {
        using var document = JsonDocument.Parse(body);
        return new TrailEvent(caseSeq, globalSeq, type, occurredAt, document.RootElement.Clone(), traceParent);
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
        Body: reader.GetString(8),
        TraceParent: reader.IsDBNull(9) ? null : reader.GetString(9),
        PrevHash: reader.GetFieldValue<byte[]>(10),
        CasePrevHash: reader.IsDBNull(11) ? null : reader.GetFieldValue<byte[]>(11),
        Hash: reader.GetFieldValue<byte[]>(12));
}
