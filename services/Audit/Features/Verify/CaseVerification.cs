using System.Data;
using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Npgsql;

namespace Accountability.Audit.Features.Verify;

/// <summary>
/// Feeds <see cref="CaseChainVerifier"/> one case from a consistent snapshot (REPEATABLE READ): the case's records,
/// their global neighbours, and the stretch of global chain up to the first checkpoint that covers them. It reads a
/// few records around the case, never the whole trail.
/// </summary>
public static class CaseVerification
{
    /// <returns>Null when the trail has no record of the case.</returns>
    public static async Task<CaseVerificationResult?> VerifyAsync(
        NpgsqlConnection connection, Guid caseId, IReadOnlyDictionary<string, string>? trustedKeys, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var records = await TrailStore.ReadCaseRecordsAsync(connection, transaction, caseId, cancellationToken);
        if (records.Count == 0)
            return null;
        var neighbours = await TrailStore.ReadLinksAsync(connection, transaction,
            [.. records.SelectMany(r => new[] { r.GlobalSeq - 1, r.GlobalSeq + 1 }).Distinct()], cancellationToken);
        var newest = records[^1].GlobalSeq; // case_seq follows arrival, as global_seq does; the verifier checks both
        var checkpoint = await TrailStore.ReadCheckpointCoveringAsync(connection, transaction, newest, cancellationToken);
        var path = checkpoint is null ? [] : await TrailStore.ReadRangeAsync(connection, transaction, newest, checkpoint.GlobalSeq, cancellationToken);
        var keyFor = TrailVerification.KeyResolver(trustedKeys ?? await TrailStore.ReadPublicKeysAsync(connection, transaction, cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return CaseChainVerifier.Verify(caseId, records, neighbours, checkpoint, path, keyFor);
    }
}
