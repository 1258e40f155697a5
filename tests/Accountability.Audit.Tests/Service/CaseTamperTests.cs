using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>
/// The per-case verify against a trail tampered with as the table owner (the service's own role could not), on a
/// trail of the test's own, as in <see cref="TamperTests"/>.
/// </summary>
public sealed class CaseTamperTests
{
    [Fact]
    public async Task Changing_one_record_of_a_case_is_named_by_that_case_s_verify_while_a_case_recorded_after_it_still_verifies()
    {
        await using var host = await AuditTrailHost.StartAsync(checkpointEveryEvents: 2);
        var (tampered, untouched) = (Guid.NewGuid(), Guid.NewGuid());
        // One case after the other, so the untouched case's records and its way to a checkpoint all lie after the damage.
        foreach (var caseId in new[] { tampered, untouched })
        {
            var events = CaseStory.Build(caseId, DateTimeOffset.UtcNow).SelectMany(s => s.Events).Take(8).ToList();
            foreach (var message in events)
                await host.SendAsync(message);
            await host.WaitForCaseRecordsAsync(caseId, events.Count);
        }
        var before = await Eventually.ReturnsAsync(() => host.GetJsonAsync($"/api/audit/cases/{tampered}/verify"),
            r => r.GetProperty("checkpoint").ValueKind == JsonValueKind.Object, "a checkpoint covers the case");
        Assert.True(before.GetProperty("valid").GetBoolean(), before.ToString());

        // An insider with the owner's login rewrites why the case was handed over.
        long target, caseSeq;
        await using (var connection = await host.OpenOwnerAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await ChainLock.AcquireChainAsync(transaction, host.Schema, CancellationToken.None);
            (target, caseSeq) = await connection.QuerySingleAsync<(long, long)>(
                "select global_seq, case_seq from audit_events where case_id = @tampered and type = 'CustodyTransferred' and body->>'transferKind' = 'handoff'",
                new { tampered }, transaction);
            await connection.ExecuteAsync(
                "update audit_events set body = jsonb_set(body::jsonb, '{reason}', '\"Requested by the subject officer\"')::json where global_seq = @target", new { target }, transaction);
            await transaction.CommitAsync();
        }

        var result = await host.GetJsonAsync($"/api/audit/cases/{tampered}/verify");
        Assert.False(result.GetProperty("valid").GetBoolean(), result.ToString());
        var bad = result.GetProperty("firstBadRecord");
        Assert.Equal(target, bad.GetProperty("globalSeq").GetInt64());
        Assert.Equal(caseSeq, bad.GetProperty("caseSeq").GetInt64());
        Assert.Equal(Problems.Altered, bad.GetProperty("problem").GetString());
        Assert.Equal("broken", result.GetProperty("caseChain").GetString());
        Assert.Contains($"Record {target} (case record {caseSeq}) is altered", result.GetProperty("message").GetString());

        // The damage is in that case alone; the whole-trail verify names the same record.
        var other = await host.GetJsonAsync($"/api/audit/cases/{untouched}/verify");
        Assert.True(other.GetProperty("valid").GetBoolean(), other.ToString());
        var whole = await host.GetJsonAsync("/api/audit/verify");
        Assert.Equal(target, whole.GetProperty("firstBadRecord").GetProperty("globalSeq").GetInt64());
    }
}
