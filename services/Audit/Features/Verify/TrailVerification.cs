using System.Data;
using System.Security.Cryptography;
using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Npgsql;

namespace Accountability.Audit.Features.Verify;

/// <summary>
/// Feeds a consistent snapshot of the trail (one REPEATABLE READ transaction, so records appended
/// meanwhile are simply not part of this run) to the pure <see cref="TrailVerifier"/>. The API and
/// the CLI both call this.
/// </summary>
public static class TrailVerification
{
    /// <param name="trustedKeys">Public keys (PEM) by key id to check checkpoints with; null trusts the keys recorded in the schema.</param>
    /// <param name="witnessed">
    /// Signed heads kept outside the audit database (a witness service, the CLI's memory). They count as checkpoints,
    /// and win over the database's own at the same record: the trail must reach them, with the same hash.
    /// </param>
    public static async Task<VerificationResult> VerifyAsync(
        NpgsqlConnection connection,
        IReadOnlyDictionary<string, string>? trustedKeys,
        IProgress<(long Done, long Total)>? progress,
        CancellationToken cancellationToken,
        IReadOnlyList<Checkpoint>? witnessed = null)
    {
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var stored = await TrailStore.ReadCheckpointsAsync(connection, transaction, cancellationToken);
        var witnessedSeqs = (witnessed ?? []).Select(c => c.GlobalSeq).ToHashSet();
        var checkpoints = stored.Where(c => !witnessedSeqs.Contains(c.GlobalSeq)).Concat(witnessed ?? [])
            .DistinctBy(c => c.GlobalSeq).OrderBy(c => c.GlobalSeq).ToList();
        var keyFor = KeyResolver(trustedKeys ?? await TrailStore.ReadPublicKeysAsync(connection, transaction, cancellationToken));

        var total = progress is null ? 0 : await TrailStore.CountAsync(connection, transaction, cancellationToken);
        var verifier = new TrailVerifier(checkpoints, keyFor, expectedRecords: await TrailStore.NewestSeqAsync(connection, transaction, cancellationToken));
        await foreach (var record in TrailStore.ReadRecordsAsync(connection, transaction, cancellationToken: cancellationToken))
        {
            verifier.Add(record);
            if (verifier.CheckedRecords % 1000 == 0)
                progress?.Report((verifier.CheckedRecords, total));
            if (verifier.IsDecided)
                break;
        }
        progress?.Report((verifier.CheckedRecords, total));
        await transaction.CommitAsync(cancellationToken);
        return verifier.Finish();
    }

    /// <summary>Public keys by key id, read from PEM once each; an unknown or unreadable key is null and trusts nothing.</summary>
    public static Func<string, ECDsa?> KeyResolver(IReadOnlyDictionary<string, string> pems)
    {
        var keys = new Dictionary<string, ECDsa?>(StringComparer.Ordinal);
        return keyId =>
        {
            if (!keys.TryGetValue(keyId, out var key))
            {
                try
                {
                    key = pems.TryGetValue(keyId, out var pem) ? CheckpointSignature.ImportPublicKey(pem) : null;
                }
                catch (Exception exception) when (exception is CryptographicException or ArgumentException)
                {
                    key = null; // an unreadable public key trusts nothing
                }
                keys[keyId] = key;
            }
            return key;
        };
    }
}
