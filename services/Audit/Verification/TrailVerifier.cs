using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Accountability.Audit.Verification;

/// <summary>
/// Recomputes the global chain, every case chain and every checkpoint signature from the records
/// alone, fed in global_seq order, and names the first record that was altered, deleted, inserted
/// or reordered. Pure: the API and the CLI feed it the same rows, and it holds no connection.
/// A broken link is classified with one record of look-ahead (does the next record skip this one?)
/// and, for an unknown predecessor, by whether that predecessor turns up later (reordered) or never (deleted).
/// </summary>
public sealed class TrailVerifier
{
    private const int RecentWindow = 4096;

    private readonly IReadOnlyList<Checkpoint> checkpoints;
    private readonly Func<string, ECDsa?> publicKeyFor;
    // Accepted records are numbered 1, 2, 3… without gaps, so record n's key sits at index n - 1. Appending is a
    // sequential write; the table is searched only once, when a link breaks. A dictionary cost a random memory
    // access for every record (the verifier's dearest line, profiled over a million records).
    private UInt128[] acceptedKeys;
    private readonly (long GlobalSeq, Guid EventId)[] recentEventIds = new (long, Guid)[RecentWindow];
    // The head hash as a value, not the record's array: a table of 100,000 cases holding no references costs the GC nothing.
    private readonly Dictionary<Guid, (long CaseSeq, Vector256<byte> Hash)> caseHeads = [];

    private int nextCheckpoint;
    private long lastSeq;
    private byte[] lastHash = ChainHash.Genesis;
    private BadRecord? found;
    private Suspect? suspect;

    /// <param name="expectedRecords">About how many records will be added: sizes the table of accepted hashes once instead of growing it.</param>
    public TrailVerifier(IEnumerable<Checkpoint> checkpoints, Func<string, ECDsa?> publicKeyFor, long expectedRecords = 0)
    {
        acceptedKeys = new UInt128[(int)Math.Clamp(expectedRecords, 16, 1 << 26)];
        this.checkpoints = [.. checkpoints.OrderBy(c => c.GlobalSeq)];
        this.publicKeyFor = publicKeyFor;
    }

    public long CheckedRecords { get; private set; }

    public long CheckedCheckpoints { get; private set; }

    /// <summary>Stop reading once this is true: the first bad record is known.</summary>
    public bool IsDecided => found is not null;

    public void Add(AuditRecord record)
    {
        CheckedRecords++;
        if (found is not null)
            return;
        if (suspect is not null)
        {
            Resolve(suspect, record);
            return;
        }

        var expectedSeq = lastSeq + 1;
        if (record.GlobalSeq != expectedSeq)
        {
            found = new BadRecord(expectedSeq, null, Problems.Deleted,
                record.GlobalSeq == expectedSeq + 1
                    ? $"Record {expectedSeq} is missing: the chain jumps from {lastSeq} to {record.GlobalSeq}."
                    : $"Records {expectedSeq} to {record.GlobalSeq - 1} are missing: the chain jumps from {lastSeq} to {record.GlobalSeq}.");
            return;
        }

        if (!ChainHash.Matches(record))
        {
            // Altered in place, or forged in between: the next record tells which.
            suspect = new Suspect.ContentMismatch(record.GlobalSeq, record.EventId, lastHash);
            return;
        }

        if (!ChainHash.SameHash(record.PrevHash, lastHash))
        {
            if (AcceptedSeqOf(Key(record.PrevHash)) is { } linkedSeq)
            {
                var firstForeign = linkedSeq + 1;
                found = new BadRecord(firstForeign, RecentEventId(firstForeign), Problems.Inserted,
                    $"Record {record.GlobalSeq} links to record {linkedSeq}, so records {firstForeign} to {record.GlobalSeq - 1} were inserted between them.");
            }
            else
            {
                suspect = new Suspect.UnknownPredecessor(record.GlobalSeq, record.EventId, Key(record.PrevHash));
            }
            return;
        }

        if (CaseChainProblem(record) is { } caseProblem)
        {
            found = new BadRecord(record.GlobalSeq, record.EventId, Problems.Altered, caseProblem);
            return;
        }

        if (CheckpointProblem(record) is { } checkpointProblem)
        {
            // A record whose hash differs from the signed one was either rewritten in place or forged into
            // that position: as for a content mismatch, the next record tells which.
            if (checkpointProblem.Problem == Problems.Altered)
                suspect = new Suspect.SignedHashMismatch(record.GlobalSeq, record.EventId, lastHash, checkpointProblem.Detail);
            else
                found = checkpointProblem;
            return;
        }

        Accept(record);
    }

    public VerificationResult Finish()
    {
        found ??= suspect switch
        {
            Suspect.ContentMismatch mismatch => new BadRecord(mismatch.GlobalSeq, mismatch.EventId, Problems.Altered,
                $"Record {mismatch.GlobalSeq}'s content no longer matches its hash."),
            Suspect.SignedHashMismatch signed => new BadRecord(signed.GlobalSeq, signed.EventId, Problems.Altered, signed.Detail),
            Suspect.UnknownPredecessor unknown => new BadRecord(unknown.GlobalSeq, unknown.EventId, Problems.Deleted,
                $"Record {unknown.GlobalSeq} links to a predecessor that is not in the trail: the record before it was deleted (or that record was altered and re-hashed)."),
            _ => null,
        };
        if (found is null && nextCheckpoint < checkpoints.Count)
        {
            // A signed head past the end: the trail's newest records were cut (the head may come from a witness
            // outside the audit database, which an attacker of that database could not also cut). Unless its
            // signature fails, which makes it no evidence at all.
            var beyond = checkpoints[^1];
            found = publicKeyFor(beyond.KeyId) is not { } key || !CheckpointSignature.Verify(key, beyond)
                ? new BadRecord(beyond.GlobalSeq, null, Problems.BadCheckpoint,
                    $"A checkpoint claims the chain reached record {beyond.GlobalSeq}, past the end at {lastSeq}, but its signature does not verify with a trusted key.")
                : new BadRecord(beyond.GlobalSeq, null, Problems.Deleted, lastSeq + 1 == beyond.GlobalSeq
                    ? $"Record {beyond.GlobalSeq} is missing: a checkpoint signed the chain up to record {beyond.GlobalSeq}, but the trail ends at record {lastSeq}."
                    : $"Records {lastSeq + 1} to {beyond.GlobalSeq} are missing: a checkpoint signed the chain up to record {beyond.GlobalSeq}, but the trail ends at record {lastSeq}.");
        }

        if (CheckedRecords == 0 && found is null)
            return VerificationResult.Empty(CheckedCheckpoints);
        return found is null
            ? new VerificationResult(true, CheckedRecords, CheckedCheckpoints, null,
                $"All {CheckedRecords} records chain correctly and all {CheckedCheckpoints} checkpoint signatures verify.")
            : new VerificationResult(false, CheckedRecords, CheckedCheckpoints, found,
                $"Record {found.GlobalSeq} is {found.Problem}: {found.Detail}");
    }

    private void Resolve(Suspect pending, AuditRecord next)
    {
        switch (pending)
        {
            case Suspect.ContentMismatch mismatch:
                // The next genuine record still links to the record before the suspect: the suspect was slipped in.
                found = ChainHash.SameHash(next.PrevHash, mismatch.HashBefore)
                    ? new BadRecord(mismatch.GlobalSeq, mismatch.EventId, Problems.Inserted,
                        $"Record {mismatch.GlobalSeq} is not part of the chain: record {next.GlobalSeq} links past it to record {mismatch.GlobalSeq - 1}.")
                    : new BadRecord(mismatch.GlobalSeq, mismatch.EventId, Problems.Altered,
                        $"Record {mismatch.GlobalSeq}'s content no longer matches its hash.");
                suspect = null;
                break;
            case Suspect.SignedHashMismatch signed:
                found = ChainHash.SameHash(next.PrevHash, signed.HashBefore)
                    ? new BadRecord(signed.GlobalSeq, signed.EventId, Problems.Inserted,
                        $"Record {signed.GlobalSeq} is not the record that was signed there: record {next.GlobalSeq} links past it to record {signed.GlobalSeq - 1}.")
                    : new BadRecord(signed.GlobalSeq, signed.EventId, Problems.Altered, signed.Detail);
                suspect = null;
                break;
            case Suspect.UnknownPredecessor unknown when Key(next.Hash) == unknown.PredecessorKey:
                found = new BadRecord(unknown.GlobalSeq, unknown.EventId, Problems.Reordered,
                    $"Record {unknown.GlobalSeq} belongs after record {next.GlobalSeq}, which it links to: the records are out of their chained order.");
                suspect = null;
                break;
        }
    }

    private string? CaseChainProblem(AuditRecord record)
    {
        if (record.CaseId is not { } caseId)
            return record.CaseSeq is null && record.CasePrevHash is null
                ? null
                : $"Record {record.GlobalSeq} has no case but carries a case sequence or case link.";

        var known = caseHeads.TryGetValue(caseId, out var head);
        var expectedSeq = known ? head.CaseSeq + 1 : 1L;
        if (record.CaseSeq != expectedSeq)
            return $"Case {caseId}: record {record.GlobalSeq} is case record {record.CaseSeq}, but the case chain expects {expectedSeq}.";
        var linked = known
            ? record.CasePrevHash is { Length: ChainHash.Length } casePrev && Vector256.Create<byte>(casePrev) == head.Hash
            : record.CasePrevHash is null;
        if (!linked)
            return $"Case {caseId}: record {record.GlobalSeq} does not link to the case's previous record.";
        return null;
    }

    private BadRecord? CheckpointProblem(AuditRecord record)
    {
        while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].GlobalSeq <= record.GlobalSeq)
        {
            var checkpoint = checkpoints[nextCheckpoint++];
            CheckedCheckpoints++;
            var key = publicKeyFor(checkpoint.KeyId);
            if (key is null)
                return new BadRecord(checkpoint.GlobalSeq, record.EventId, Problems.BadCheckpoint,
                    $"The checkpoint at record {checkpoint.GlobalSeq} was signed with key '{checkpoint.KeyId}', which is not a trusted key.");
            if (!CheckpointSignature.Verify(key, checkpoint))
                return new BadRecord(checkpoint.GlobalSeq, record.EventId, Problems.BadCheckpoint,
                    $"The signature of the checkpoint at record {checkpoint.GlobalSeq} does not verify with key '{checkpoint.KeyId}'.");
            if (!ChainHash.SameHash(checkpoint.Hash, record.Hash))
                return new BadRecord(record.GlobalSeq, record.EventId, Problems.Altered,
                    $"Record {record.GlobalSeq}'s hash differs from the one signed at {ChainHash.Instant(checkpoint.SignedAt)}: the chain up to it was rewritten.");
        }
        return null;
    }

    private void Accept(AuditRecord record)
    {
        if (record.GlobalSeq > acceptedKeys.Length)
            Array.Resize(ref acceptedKeys, (int)Math.Min(Math.Max(record.GlobalSeq, 2L * acceptedKeys.Length), Array.MaxLength));
        acceptedKeys[record.GlobalSeq - 1] = Key(record.Hash);
        recentEventIds[record.GlobalSeq % RecentWindow] = (record.GlobalSeq, record.EventId);
        if (record.CaseId is { } caseId)
            caseHeads[caseId] = (record.CaseSeq!.Value, Vector256.Create<byte>(record.Hash)); // accepted, so its hash matched: 32 bytes
        lastSeq = record.GlobalSeq;
        lastHash = record.Hash;
    }

    /// <summary>The newest accepted record with this hash key, if any.</summary>
    private long? AcceptedSeqOf(UInt128 key)
    {
        var index = acceptedKeys.AsSpan(0, (int)lastSeq).LastIndexOf(key);
        return index < 0 ? null : index + 1;
    }

    /// <summary>The event id of an accepted record among the last <see cref="RecentWindow"/>; null for an older one.</summary>
    private Guid? RecentEventId(long globalSeq) =>
        recentEventIds[globalSeq % RecentWindow] is var (seq, id) && seq == globalSeq && globalSeq > 0 ? id : null;

    // 128 bits of a SHA-256 are plenty to recognise a record we have already seen, at half the memory.
    private static UInt128 Key(byte[] hash) =>
        hash.Length >= 16 ? BinaryPrimitives.ReadUInt128BigEndian(hash) : UInt128.Zero;

    private abstract record Suspect
    {
        public sealed record ContentMismatch(long GlobalSeq, Guid EventId, byte[] HashBefore) : Suspect;

        public sealed record UnknownPredecessor(long GlobalSeq, Guid EventId, UInt128 PredecessorKey) : Suspect;

        public sealed record SignedHashMismatch(long GlobalSeq, Guid EventId, byte[] HashBefore, string Detail) : Suspect;
    }
}
