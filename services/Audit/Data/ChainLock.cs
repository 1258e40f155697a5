using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Accountability.Audit.Data;

/// <summary>
/// Transaction-scoped PostgreSQL advisory locks, one per purpose and schema. Appending takes the
/// chain lock, so concurrent consumers and several instances append one record at a time and a
/// chain can never fork; a projection rebuild takes it too, so nothing is appended mid-replay.
/// Taking the chain lock also tells PostgreSQL, for the transaction, that this writer stores each body as
/// the text its hash covers: migration 0006 refuses an append from an older audit that does not say so,
/// as a failure to retry rather than a poison message.
/// </summary>
public static class ChainLock
{
    public static Task AcquireChainAsync(NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken) =>
        AcquireAsync(transaction, AcquireChainSql, $"audit-chain:{schema}", cancellationToken);

    public static Task AcquireCheckpointAsync(NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken) =>
        AcquireAsync(transaction, AcquireSql, $"audit-checkpoint:{schema}", cancellationToken);

    public static Task AcquireSigningKeyAsync(NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken) =>
        AcquireAsync(transaction, AcquireSql, $"audit-signing-key:{schema}", cancellationToken);

    /// <summary>The chain lock as a statement of a batch: it returns one row, which the caller skips.</summary>
    public static NpgsqlBatchCommand ChainStatement(string schema) =>
        new(AcquireChainSql) { Parameters = { new NpgsqlParameter("key", KeyOf($"audit-chain:{schema}")) } };

    private const string AcquireSql = "select pg_advisory_xact_lock(@key)";

    private const string AcquireChainSql = "select pg_advisory_xact_lock(@key), set_config('accountability.audit_body', 'hashed-text', true)";

    private static Task AcquireAsync(NpgsqlTransaction transaction, string sql, string name, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            sql, new { key = KeyOf(name) }, transaction, cancellationToken: cancellationToken));

    private static long KeyOf(string name) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
}
