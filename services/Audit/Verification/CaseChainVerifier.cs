using System.Security.Cryptography;

namespace Accountability.Audit.Verification;

/// <summary>The first thing wrong with a case's chain; <see cref="GlobalSeq"/> is null for a case record that is missing altogether.</summary>
public sealed record CaseBadRecord(long? GlobalSeq, long? CaseSeq, Guid? EventId, string Problem, string Detail);

/// <summary>One record of the case, with the hashes that chain it.</summary>
public sealed record CaseRecordHashes(long CaseSeq, long GlobalSeq, string Type, DateTimeOffset OccurredAt, DateTimeOffset RecordedAt, string PrevHash, string? CasePrevHash, string Hash);

/// <summary>The signed checkpoint that covers the case's records, and whether the chain reaches it.</summary>
public sealed record CheckpointCoverage(long GlobalSeq, string Hash, string KeyId, string SignedAt, string Signature, bool Verified, long RecordsWalked);

/// <summary>
/// What a per-case verify found. <see cref="CaseChain"/> is intact or broken, <see cref="GlobalTrail"/> linked or
/// not-linked, and <see cref="Checkpoint"/> null when no checkpoint has been signed at or after the case's newest
/// record yet (its Verified says whether the chain reaches its signed hash and the signature holds).
/// </summary>
public sealed record CaseVerificationResult(
    Guid CaseId, bool Valid, int CheckedRecords, CaseBadRecord? FirstBadRecord, string CaseChain, string GlobalTrail,
    CheckpointCoverage? Checkpoint, string Message, IReadOnlyList<CaseRecordHashes> Records);

/// <summary>
/// Verifies one case without reading the whole trail. Pure: it is fed the case's records (in case_seq order), the
/// global neighbours of each (the records just before and after it), the first signed checkpoint at or after the
/// case's newest record, and the records between that record and the checkpoint.
/// - Each record's hash is recomputed, and its case_prev_hash must be the hash of the case's previous record.
/// - Each record must link into the global chain: its prev_hash is its predecessor's hash, and its successor links to it.
/// - The global chain from the case's newest record must reach the checkpoint's signed hash. Because case_prev_hash is
///   inside every hash, that one signature commits to every record of the case. Later checkpoints commit to this one
///   through the global chain, which the whole-trail verify checks.
/// </summary>
public static class CaseChainVerifier
{
    public const string Intact = "intact";
    public const string Broken = "broken";
    public const string Linked = "linked";
    public const string NotLinked = "not-linked";

    public static CaseVerificationResult Verify(
        Guid caseId,
        IReadOnlyList<AuditRecord> caseRecords,
        IReadOnlyDictionary<long, (byte[] PrevHash, byte[] Hash)> neighbours,
        Checkpoint? checkpoint,
        IReadOnlyList<AuditRecord> pathToCheckpoint,
        Func<string, ECDsa?> publicKeyFor)
    {
        var hashes = caseRecords.Select(r => new CaseRecordHashes(r.CaseSeq ?? 0, r.GlobalSeq, r.Type, r.OccurredAt, r.RecordedAt,
            ChainHash.Hex(r.PrevHash), r.CasePrevHash is null ? null : ChainHash.Hex(r.CasePrevHash), ChainHash.Hex(r.Hash))).ToList();

        // The three checks run independently, so the answer says which of them holds.
        var chainProblem = CaseChainProblem(caseRecords);
        var linkProblem = GlobalLinkProblem(caseRecords, neighbours);
        CheckpointCoverage? coverage = null;
        CaseBadRecord? checkpointProblem = null;
        if (checkpoint is not null)
            (coverage, checkpointProblem) = CheckpointOf(caseRecords[^1], checkpoint, pathToCheckpoint, publicKeyFor);

        // A record changed and re-hashed still matches its own hash; the first broken link after it is in the global
        // chain (its successor), earlier than in the case chain (the case's next record): name the earlier one.
        var bad = (chainProblem, linkProblem) switch
        {
            (null, var link) => link ?? checkpointProblem,
            ({ GlobalSeq: { } inCase }, { GlobalSeq: { } inTrail } link) when inTrail < inCase => link,
            var (inCase, _) => inCase,
        };
        var caseChain = chainProblem is null ? Intact : Broken;
        var globalTrail = linkProblem is null ? Linked : NotLinked;
        var count = caseRecords.Count;
        var message = bad is not null
            ? Describe(bad)
            : coverage is null
                ? $"All {count} records of the case chain correctly and link into the global trail. No checkpoint has been signed past its newest record yet; " +
                  "one is signed within the checkpoint interval, so verify again shortly."
                : $"All {count} records of the case chain correctly, link into the global trail, and are covered by the checkpoint signed at record {coverage.GlobalSeq}.";
        return new CaseVerificationResult(caseId, bad is null, count, bad, caseChain, globalTrail, coverage, message, hashes);
    }

    private static string Describe(CaseBadRecord bad) =>
        bad.GlobalSeq is { } seq
            ? $"Record {seq}{(bad.CaseSeq is { } n ? $" (case record {n})" : "")} is {bad.Problem}: {bad.Detail}"
            : $"Case record {bad.CaseSeq} is {bad.Problem}: {bad.Detail}";

    private static CaseBadRecord? CaseChainProblem(IReadOnlyList<AuditRecord> records)
    {
        byte[]? previous = null;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            long expected = i + 1;
            if (record.CaseSeq != expected)
                return record.CaseSeq > expected
                    ? new CaseBadRecord(null, expected, null, Problems.Deleted, record.CaseSeq == expected + 1
                        ? $"the case chain jumps from case record {expected - 1} to {record.CaseSeq} (record {record.GlobalSeq})."
                        : $"case records {expected} to {record.CaseSeq - 1} are missing: the case chain jumps from {expected - 1} to {record.CaseSeq} (record {record.GlobalSeq}).")
                    : new CaseBadRecord(record.GlobalSeq, record.CaseSeq, record.EventId, Problems.Inserted,
                        $"it is numbered case record {record.CaseSeq}, but the case chain expects {expected} here.");
            if (!ChainHash.Matches(record))
                return new CaseBadRecord(record.GlobalSeq, record.CaseSeq, record.EventId, Problems.Altered,
                    $"its content ({record.Type}) no longer matches its hash: it was changed after it was recorded.");
            if (!ChainHash.SameHash(record.CasePrevHash, previous))
                return new CaseBadRecord(record.GlobalSeq, record.CaseSeq, record.EventId, Problems.Altered, previous is null
                    ? "it is the case's first record but links to an earlier one."
                    : $"it does not link to case record {expected - 1}: that record was changed and its hash recomputed, or this one was.");
            previous = record.Hash;
        }
        return null;
    }

    private static CaseBadRecord? GlobalLinkProblem(IReadOnlyList<AuditRecord> records, IReadOnlyDictionary<long, (byte[] PrevHash, byte[] Hash)> neighbours)
    {
        foreach (var record in records)
        {
            var before = record.GlobalSeq - 1;
            if (before == 0)
            {
                if (!ChainHash.SameHash(record.PrevHash, ChainHash.Genesis))
                    return new CaseBadRecord(record.GlobalSeq, record.CaseSeq, record.EventId, Problems.Altered,
                        "it is the first record of the trail but does not start from the genesis hash.");
            }
            else if (!neighbours.TryGetValue(before, out var predecessor))
                return new CaseBadRecord(record.GlobalSeq, record.CaseSeq, record.EventId, Problems.Deleted,
                    $"record {before}, just before it in the global trail, is missing.");
            else if (!ChainHash.SameHash(record.PrevHash, predecessor.Hash))
                return new CaseBadRecord(record.GlobalSeq, record.CaseSeq, record.EventId, Problems.Altered,
                    $"it does not link to record {before}, its predecessor in the global trail.");

            // The successor is checked too: a changed record whose hash was recomputed still links backwards.
            if (neighbours.TryGetValue(record.GlobalSeq + 1, out var successor) && !ChainHash.SameHash(successor.PrevHash, record.Hash))
                return new CaseBadRecord(record.GlobalSeq, record.CaseSeq, record.EventId, Problems.Altered,
                    $"record {record.GlobalSeq + 1} links to a different hash: this record was changed and its hash recomputed, or record {record.GlobalSeq + 1} was changed.");
        }
        return null;
    }

    private static (CheckpointCoverage, CaseBadRecord?) CheckpointOf(
        AuditRecord newest, Checkpoint checkpoint, IReadOnlyList<AuditRecord> path, Func<string, ECDsa?> publicKeyFor)
    {
        var key = publicKeyFor(checkpoint.KeyId);
        var signed = key is not null && CheckpointSignature.Verify(key, checkpoint);
        CaseBadRecord? problem = null;
        var (lastSeq, lastHash) = (newest.GlobalSeq, newest.Hash);
        foreach (var record in path)
        {
            if (record.GlobalSeq != lastSeq + 1)
            {
                problem = new CaseBadRecord(lastSeq + 1, null, null, Problems.Deleted,
                    $"the global trail between this case and the checkpoint at record {checkpoint.GlobalSeq} jumps from record {lastSeq} to {record.GlobalSeq}.");
                break;
            }
            if (!ChainHash.Matches(record) || !ChainHash.SameHash(record.PrevHash, lastHash))
            {
                problem = new CaseBadRecord(record.GlobalSeq, null, record.EventId, Problems.Altered,
                    $"it is not a record of this case, but it lies between the case and the checkpoint at record {checkpoint.GlobalSeq}, and it no longer chains.");
                break;
            }
            (lastSeq, lastHash) = (record.GlobalSeq, record.Hash);
        }
        if (problem is null && lastSeq != checkpoint.GlobalSeq)
            problem = new CaseBadRecord(lastSeq + 1, null, null, Problems.Deleted,
                $"the global trail ends at record {lastSeq}, before the checkpoint at record {checkpoint.GlobalSeq}.");
        if (problem is null && !ChainHash.SameHash(lastHash, checkpoint.Hash))
            problem = new CaseBadRecord(checkpoint.GlobalSeq, null, null, Problems.Altered,
                $"its hash differs from the one signed at {ChainHash.Instant(checkpoint.SignedAt)}: the chain up to it was rewritten.");
        if (problem is null && !signed)
            problem = new CaseBadRecord(checkpoint.GlobalSeq, null, null, Problems.BadCheckpoint, key is null
                ? $"the checkpoint at record {checkpoint.GlobalSeq} was signed with key '{checkpoint.KeyId}', which is not a trusted key."
                : $"the signature of the checkpoint at record {checkpoint.GlobalSeq} does not verify with key '{checkpoint.KeyId}'.");

        var coverage = new CheckpointCoverage(checkpoint.GlobalSeq, ChainHash.Hex(checkpoint.Hash), checkpoint.KeyId, ChainHash.Instant(checkpoint.SignedAt),
            Convert.ToBase64String(checkpoint.Signature), problem is null, path.Count);
        return (coverage, problem);
    }
}
