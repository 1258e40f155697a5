using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>
/// Audit:AppendLinger, against a real audit process, PostgreSQL and RabbitMQ: a case's events that arrive apart,
/// as they do at a trickle, share one transaction when they arrive within the linger. Which transaction wrote a
/// record is its row's xmin.
/// </summary>
public sealed class AppendLingerTests
{
    private static readonly TimeSpan Apart = TimeSpan.FromMilliseconds(150);

    [Fact]
    public async Task A_cases_events_that_arrive_apart_within_the_linger_are_appended_in_one_transaction()
    {
        Assert.Equal(1, await TransactionsForSixEventsSentApartAsync(linger: "00:00:05"));
    }

    [Fact]
    public async Task Without_a_linger_events_that_arrive_apart_are_appended_as_they_come()
    {
        Assert.True(await TransactionsForSixEventsSentApartAsync(linger: "00:00:00") > 1, "six events sent 150 ms apart with no linger were all written in one transaction");
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("00:00:11")]
    [InlineData("soon")]
    public async Task An_append_linger_outside_zero_to_ten_seconds_stops_the_start_naming_the_setting(string linger)
    {
        await using var process = await ServiceProcess.StartAsync("Audit",
            new Dictionary<string, string> { ["Audit__AppendLinger"] = linger, ["Audit__Schema"] = TestDatabase.NewSchema("audit_l") }, waitUntilReady: false);

        await Eventually.HoldsAsync(() => process.HasExited, "the service refuses to start", TimeSpan.FromMinutes(2));
        Assert.Contains("Audit:AppendLinger", process.Output, StringComparison.Ordinal);
    }

    /// <summary>Six of a case's events, sent to a fresh audit 150 ms apart, as they arrive at a trickle: the transactions that wrote them.</summary>
    private static async Task<long> TransactionsForSixEventsSentApartAsync(string linger)
    {
        await using var host = await AuditTrailHost.StartAsync(extra: new Dictionary<string, string> { ["Audit__AppendLinger"] = linger });
        var caseId = Guid.NewGuid();
        var events = CaseStory.Build(caseId, DateTimeOffset.UtcNow.AddHours(-1)).SelectMany(step => step.Events).Take(6).ToList();
        foreach (var message in events)
        {
            await host.SendAsync(message);
            await Task.Delay(Apart);
        }
        await host.WaitForCaseRecordsAsync(caseId, events.Count);

        await using var connection = await host.OpenOwnerAsync();
        return await connection.ExecuteScalarAsync<long>("select count(distinct xmin::text) from audit_events where case_id = @caseId", new { caseId });
    }
}
