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
/// </summary>
public static class ChainLock
{
    public static Task AcquireChainAsync(NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken) =>
        AcquireAsync(transaction, $"audit-chain:{schema}", cancellationToken);

    public static Task AcquireCheckpointAsync(NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken) =>
        AcquireAsync(transaction, $"audit-checkpoint:{schema}", cancellationToken);

    public static Task AcquireSigningKeyAsync(NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken) =>
        AcquireAsync(transaction, $"audit-signing-key:{schema}", cancellationToken);

    /// <summary>The chain lock as a statement of a batch: it returns one row, with nothing in it.</summary>
    public static NpgsqlBatchCommand ChainStatement(string schema) =>
        new(AcquireSql) { Parameters = { new NpgsqlParameter("key", KeyOf($"audit-chain:{schema}")) } };

    private const string AcquireSql = "select pg_advisory_xact_lock(@key)";

    private static Task AcquireAsync(NpgsqlTransaction transaction, string name, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            AcquireSql, new { key = KeyOf(name) }, transaction, cancellationToken: cancellationToken));

    private static long KeyOf(string name) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
}
