using System.Security.Cryptography;
using System.Text;
using Accountability.Audit.Verification;
using Xunit;

namespace Accountability.Audit.Tests.Rules;

/// <summary>The per-case verify, fed as the service feeds it: a case's records, their global neighbours, and the way to a checkpoint.</summary>
public sealed class CaseChainTests
{
    private static readonly Guid CaseA = Guid.NewGuid();
    private static readonly Guid CaseB = Guid.NewGuid();

    [Fact]
    public void An_intact_case_links_into_the_global_trail_and_reaches_the_checkpoint_signed_after_it()
    {
        var (trail, key) = (Trail(10), Key());
        var checkpoint = Sign(key, trail[^1]);

        var result = Verify(trail, CaseA, checkpoint, key);

        Assert.True(result.Valid, result.Message);
        Assert.Equal(CaseChainVerifier.Intact, result.CaseChain);
        Assert.Equal(CaseChainVerifier.Linked, result.GlobalTrail);
        Assert.True(result.Checkpoint!.Verified);
        Assert.Equal(1, result.Checkpoint.RecordsWalked); // case A's newest is record 9; record 10 is case B's
        Assert.Equal(5, result.CheckedRecords);
        Assert.Equal([1L, 3, 5, 7, 9], result.Records.Select(r => r.GlobalSeq));
    }

    [Fact]
    public void A_changed_record_is_named_and_so_is_one_changed_and_re_hashed_rather_than_the_next_record_of_the_case()
    {
        var (trail, key) = (Trail(10), Key());
        var checkpoint = Sign(key, trail[^1]);

        var changed = trail.Select(r => r.GlobalSeq == 5 ? r with { Body = "{\"n\":55}"u8.ToArray() } : r).ToList();
        var named = Verify(changed, CaseA, checkpoint, key);
        Assert.Equal((5L, 3L, Problems.Altered), (named.FirstBadRecord!.GlobalSeq, named.FirstBadRecord.CaseSeq, named.FirstBadRecord.Problem));
        Assert.Equal(CaseChainVerifier.Broken, named.CaseChain);
        Assert.Contains("Record 5 (case record 3) is altered", named.Message);

        var rehashed = trail.Select(r => r.GlobalSeq == 5 ? Rehash(r with { Body = "{\"n\":55}"u8.ToArray() }) : r).ToList();
        var alsoNamed = Verify(rehashed, CaseA, checkpoint, key);
        Assert.Equal((5L, Problems.Altered), (alsoNamed.FirstBadRecord!.GlobalSeq, alsoNamed.FirstBadRecord.Problem));
        Assert.Equal(CaseChainVerifier.NotLinked, alsoNamed.GlobalTrail);

        // The other case's chain is untouched, though its records sit between those of case A.
        Assert.True(Verify(changed, CaseB, checkpoint, key).Valid);
    }

    [Fact]
    public void A_deleted_record_of_the_case_is_named_by_its_place_in_the_case_chain()
    {
        var (trail, key) = (Trail(10), Key());
        var result = Verify([.. trail.Where(r => r.GlobalSeq != 5)], CaseA, Sign(key, trail[^1]), key);

        Assert.False(result.Valid);
        Assert.Equal((null, 3L, Problems.Deleted), (result.FirstBadRecord!.GlobalSeq, result.FirstBadRecord.CaseSeq, result.FirstBadRecord.Problem));
        Assert.Equal(CaseChainVerifier.Broken, result.CaseChain);
        Assert.Contains("Case record 3 is deleted", result.Message);
    }

    [Fact]
    public void A_checkpoint_by_an_untrusted_key_fails_and_no_checkpoint_yet_is_said_plainly()
    {
        var trail = Trail(10);
        var result = Verify(trail, CaseA, Sign(Key(), trail[^1]), Key());
        Assert.Equal(Problems.BadCheckpoint, result.FirstBadRecord!.Problem);
        Assert.False(result.Checkpoint!.Verified);

        var unsigned = Verify(trail, CaseA, null, Key());
        Assert.True(unsigned.Valid);
        Assert.Null(unsigned.Checkpoint);
        Assert.Contains("No checkpoint has been signed", unsigned.Message);
    }

    private static CaseVerificationResult Verify(IReadOnlyList<AuditRecord> trail, Guid caseId, Checkpoint? checkpoint, ECDsa key)
    {
        var records = trail.Where(r => r.CaseId == caseId).OrderBy(r => r.CaseSeq).ToList();
        var neighbours = trail.ToDictionary(r => r.GlobalSeq, r => (r.PrevHash, r.Hash));
        var path = checkpoint is null ? [] : trail.Where(r => r.GlobalSeq > records[^1].GlobalSeq && r.GlobalSeq <= checkpoint.GlobalSeq).ToList();
        return CaseChainVerifier.Verify(caseId, records, neighbours, checkpoint, path, id => id == "k1" ? key : null);
    }

    /// <summary>Two cases interleaved: A at the odd records, B at the even ones.</summary>
    private static List<AuditRecord> Trail(int count)
    {
        var records = new List<AuditRecord>();
        var heads = new Dictionary<Guid, (long Seq, byte[] Hash)>();
        for (var seq = 1; seq <= count; seq++)
        {
            var caseId = seq % 2 == 1 ? CaseA : CaseB;
            var head = heads.GetValueOrDefault(caseId);
            var record = new AuditRecord(seq, Guid.NewGuid(), caseId, head.Seq + 1, "CaseOpened", "assignment", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
                Encoding.UTF8.GetBytes($"{{\"n\":{seq}}}"), null, records.Count == 0 ? ChainHash.Genesis : records[^1].Hash, head.Hash, []);
            record = Rehash(record);
            heads[caseId] = (head.Seq + 1, record.Hash);
            records.Add(record);
        }
        return records;
    }

    private static AuditRecord Rehash(AuditRecord record) => record with { Hash = ChainHash.Compute(record.PrevHash, record) };

    private static ECDsa Key() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static Checkpoint Sign(ECDsa key, AuditRecord head) =>
        new(head.GlobalSeq, head.Hash, "k1", DateTimeOffset.UnixEpoch, CheckpointSignature.Sign(key, head.GlobalSeq, head.Hash, "k1", DateTimeOffset.UnixEpoch));
}
