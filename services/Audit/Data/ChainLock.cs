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

    private static Task AcquireAsync(NpgsqlTransaction transaction, string name, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_xact_lock(@key)", new { key = KeyOf(name) }, transaction, cancellationToken: cancellationToken));

    private static long KeyOf(string name) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
}
