using System.Security.Cryptography;
using System.Text;
using Accountability.Audit.Verification;
using Xunit;

namespace Accountability.Audit.Tests.Rules;

public sealed class ChainTests
{
    [Theory]
    [InlineData("{\"b\":1,\"a\":[true,null,\"x\"]}", "{\"a\":[true,null,\"x\"],\"b\":1}")]
    [InlineData("{ \"n\" : 1.50 }", "{\"n\":1.5}")]
    [InlineData("[1e2, -0, 0.000, 15e-1, 12345678901234567890]", "[100,0,0,1.5,12345678901234567890]")]
    [InlineData("\"tab\\tquote\\\"slash\\/é\\u00e9\\u0001\"", "\"tab\\tquote\\\"slash/éé\\u0001\"")]
    public void Canonical_JSON_sorts_keys_drops_whitespace_and_fixes_numbers_and_escapes(string input, string expected) =>
        Assert.Equal(expected, CanonicalJson.Canonicalize(input));

    [Fact]
    public void Duplicate_keys_have_no_canonical_form() =>
        Assert.Throws<FormatException>(() => CanonicalJson.Canonicalize("{\"a\":1,\"a\":2}"));

    [Fact]
    public void A_record_hashes_the_same_after_a_jsonb_style_rewrite_of_its_body()
    {
        var record = Record(1, ChainHash.Genesis, "{\"reason\":\"x\",\"caseVersion\":1.0,\"actor\":\"p-1\"}");
        var rewritten = record with { Body = "{\"actor\": \"p-1\", \"reason\": \"x\", \"caseVersion\": 1}"u8.ToArray() };

        Assert.Equal(ChainHash.Compute(record.PrevHash, record), ChainHash.Compute(rewritten.PrevHash, rewritten));
    }

    [Fact]
    public void A_body_kept_as_hashed_matches_as_stored_one_in_jsonb_layout_matches_once_canonicalised_and_a_changed_one_not_at_all()
    {
        // As the appender stores it: the canonical text.
        var record = Record(1, ChainHash.Genesis, CanonicalJson.Canonicalize("{\"reason\":\"x\",\"actor\":\"p-1\"}"));
        record = record with { Hash = ChainHash.Compute(record.PrevHash, record) };

        Assert.True(ChainHash.Matches(record));
        Assert.True(ChainHash.Matches(record with { Body = "{\"actor\": \"p-1\", \"reason\": \"x\"}"u8.ToArray() }));
        Assert.False(ChainHash.Matches(record with { Body = "{\"actor\":\"p-2\",\"reason\":\"x\"}"u8.ToArray() }));
        Assert.False(ChainHash.Matches(record with { Body = "{\"actor\": \"p-1\", \"reason\": \"y\"}"u8.ToArray() }));
    }

    [Fact]
    public void An_intact_chain_verifies_and_each_kind_of_damage_is_named_at_the_first_bad_record()
    {
        var records = Chain(6);
        Assert.True(Verify(records).Valid);

        Assert.Equal((3L, Problems.Altered), First(records.Select(r => r.GlobalSeq == 3 ? r with { Source = "Intake" } : r)));
        Assert.Equal((4L, Problems.Deleted), First(records.Where(r => r.GlobalSeq != 4)));
        Assert.Equal((2L, Problems.Reordered), First(records.Select(r => r.GlobalSeq switch { 2 => r with { GlobalSeq = 5 }, 5 => r with { GlobalSeq = 2 }, _ => r }).OrderBy(r => r.GlobalSeq)));
        var forged = Record(3, records[1].Hash, "{\"forged\":true}");
        forged = forged with { Hash = ChainHash.Compute(forged.PrevHash, forged) };
        var withForgery = records.Take(2).Append(forged).Concat(records.Skip(2).Select(r => r with { GlobalSeq = r.GlobalSeq + 1 }));
        Assert.Equal((3L, Problems.Inserted), First(withForgery));
    }

    [Fact]
    public void A_forgery_inserted_deep_into_a_long_trail_is_named_where_it_went_in()
    {
        // Longer than the verifier's first table of accepted hashes, so the table grows before the forgery is met.
        var records = Chain(1000);
        var forged = Record(701, records[699].Hash, "{\"forged\":true}");
        forged = forged with { Hash = ChainHash.Compute(forged.PrevHash, forged) };
        var withForgery = records.Take(700).Append(forged).Concat(records.Skip(700).Select(r => r with { GlobalSeq = r.GlobalSeq + 1 }));

        Assert.True(Verify(records).Valid);
        Assert.Equal((701L, Problems.Inserted), First(withForgery));
    }

    [Fact]
    public void A_checkpoint_signed_by_an_untrusted_key_or_over_another_hash_is_caught()
    {
        var records = Chain(4);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var at = DateTimeOffset.UnixEpoch;
        var good = new Checkpoint(2, records[1].Hash, "k1", at, CheckpointSignature.Sign(key, 2, records[1].Hash, "k1", at));

        Assert.True(new Func<VerificationResult>(() => Verify(records, [good], key)).Invoke().Valid);
        var forged = good with { Signature = CheckpointSignature.Sign(ECDsa.Create(ECCurve.NamedCurves.nistP256), 2, records[1].Hash, "k1", at) };
        Assert.Equal(Problems.BadCheckpoint, Verify(records, [forged], key).FirstBadRecord!.Problem);
        var beyond = new Checkpoint(9, records[1].Hash, "k1", at, CheckpointSignature.Sign(key, 9, records[1].Hash, "k1", at));
        Assert.Equal((9L, Problems.Deleted), (Verify(records, [beyond], key).FirstBadRecord!.GlobalSeq, Verify(records, [beyond], key).FirstBadRecord!.Problem));
    }

    /// <summary>
    /// Found in a CI run: when a checkpoint happened to sign the very position a forger inserted into,
    /// the checkpoint mismatch named the forgery "altered". The next record decides, as for a content mismatch.
    /// </summary>
    [Fact]
    public void A_forgery_inserted_at_a_signed_position_is_named_inserted_and_a_record_rewritten_there_altered()
    {
        var records = Chain(5);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var at = DateTimeOffset.UnixEpoch;
        var signedAt3 = new Checkpoint(3, records[2].Hash, "k1", at, CheckpointSignature.Sign(key, 3, records[2].Hash, "k1", at));

        var forged = Record(3, records[1].Hash, "{\"forged\":true}");
        forged = forged with { Hash = ChainHash.Compute(forged.PrevHash, forged) };
        var withForgery = records.Take(2).Append(forged).Concat(records.Skip(2).Select(r => r with { GlobalSeq = r.GlobalSeq + 1 }));
        var inserted = Verify(withForgery, [signedAt3], key).FirstBadRecord!;
        Assert.Equal((3L, Problems.Inserted), (inserted.GlobalSeq, inserted.Problem));

        // Rewritten in place and re-hashed, with every later link recomputed: only the signature can tell.
        var rewritten = new List<AuditRecord>(records.Take(2));
        foreach (var original in records.Skip(2))
        {
            var record = (original.GlobalSeq == 3 ? original with { Body = "{\"n\":33}"u8.ToArray() } : original) with { PrevHash = rewritten[^1].Hash, CasePrevHash = rewritten[^1].Hash };
            rewritten.Add(record with { Hash = ChainHash.Compute(record.PrevHash, record) });
        }
        var altered = Verify(rewritten, [signedAt3], key).FirstBadRecord!;
        Assert.Equal((3L, Problems.Altered), (altered.GlobalSeq, altered.Problem));
    }

    private static (long, string) First(IEnumerable<AuditRecord> records)
    {
        var bad = Verify(records).FirstBadRecord!;
        return (bad.GlobalSeq, bad.Problem);
    }

    private static VerificationResult Verify(IEnumerable<AuditRecord> records, IReadOnlyList<Checkpoint>? checkpoints = null, ECDsa? key = null)
    {
        var verifier = new TrailVerifier(checkpoints ?? [], id => id == "k1" ? key : null);
        foreach (var record in records)
            verifier.Add(record);
        return verifier.Finish();
    }

    private static List<AuditRecord> Chain(int count)
    {
        var records = new List<AuditRecord>();
        var caseId = Guid.NewGuid();
        for (var seq = 1; seq <= count; seq++)
        {
            var record = Record(seq, records.Count == 0 ? ChainHash.Genesis : records[^1].Hash, $"{{\"n\":{seq}}}") with
            {
                CaseId = caseId, CaseSeq = seq, CasePrevHash = records.Count == 0 ? null : records[^1].Hash,
            };
            records.Add(record with { Hash = ChainHash.Compute(record.PrevHash, record) });
        }
        return records;
    }

    private static AuditRecord Record(long seq, byte[] prev, string body) =>
        new(seq, Guid.NewGuid(), null, null, "CaseOpened", "assignment", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, Encoding.UTF8.GetBytes(body), null, prev, null, []);
}
