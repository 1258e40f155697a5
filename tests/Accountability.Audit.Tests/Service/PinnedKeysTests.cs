using System.Security.Cryptography;
using Accountability.Audit.Verification;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>Audit:TrustedPublicKeys pins the API's verify to keys given from outside, as the CLI's --public-key does.</summary>
public sealed class PinnedKeysTests
{
    [Fact]
    public async Task Verify_pinned_to_configured_public_keys_fails_when_the_trail_was_signed_with_another_key_under_the_same_id()
    {
        // Someone who can write the database could store a key of their own; a pinned key id is only as good as its key.
        using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var host = await AuditTrailHost.StartAsync(checkpointEveryEvents: 2, extra: new Dictionary<string, string>
        {
            ["Audit__SigningKey"] = Convert.ToBase64String(signing.ExportPkcs8PrivateKey()),
            ["Audit__SigningKeyId"] = "k-pinned",
            ["Audit__TrustedPublicKeys__k-pinned"] = other.ExportSubjectPublicKeyInfoPem(),
        });
        var caseId = Guid.NewGuid();
        foreach (var message in CaseStory.Build(caseId, DateTimeOffset.UtcNow).SelectMany(s => s.Events).Take(6))
            await host.SendAsync(message);
        await host.WaitForCaseRecordsAsync(caseId, 6);
        var checkpoint = await Eventually.ReturnsAsync(async () =>
        {
            await using var connection = await host.OpenOwnerAsync();
            return await connection.ExecuteScalarAsync<long?>("select min(global_seq) from audit_checkpoints where key_id = 'k-pinned'");
        }, seq => seq is not null, "a checkpoint is signed");

        var result = await host.GetJsonAsync("/api/audit/verify");

        Assert.False(result.GetProperty("valid").GetBoolean(), result.ToString());
        var bad = result.GetProperty("firstBadRecord");
        Assert.Equal(Problems.BadCheckpoint, bad.GetProperty("problem").GetString());
        Assert.Equal(checkpoint, bad.GetProperty("globalSeq").GetInt64());
        // The trail itself is intact: trusting the keys stored with it, the CLI finds nothing wrong.
        var unpinned = await host.RunCliAsync("verify", "--no-witness");
        Assert.True(unpinned.ExitCode == 0, unpinned.Output + unpinned.Error);
    }
}
