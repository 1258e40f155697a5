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
    [Fact]
    public async Task A_cases_events_that_arrive_apart_within_the_linger_are_appended_in_one_transaction()
    {
        // The pause is the scenario (a trickle's spacing, well inside the 5 s linger), not a wait for something to happen.
        Assert.Equal(1, await TransactionsForSixEventsAsync(linger: "00:00:05", betweenSends: (_, _) => Task.Delay(TimeSpan.FromMilliseconds(150))));
    }

    [Fact]
    public async Task Without_a_linger_events_that_arrive_apart_are_appended_as_they_come()
    {
        // Each event is sent once the one before it is in the trail: with no linger, none waited for the next.
        Assert.Equal(6, await TransactionsForSixEventsAsync(linger: "00:00:00", betweenSends: (host, sent) => host.WaitForCaseRecordsAsync(sent.CaseId, sent.Count)));
    }

    [Fact]
    public async Task A_batch_of_half_the_queues_prefetch_is_appended_without_waiting_out_the_linger()
    {
        // Batches of 8, so the queue hands over 8 at a time: under a backlog no more arrive until a batch is written, and a
        // batch that waited to be full would wait out the whole 10 s linger. Half the prefetch, 4, is enough to write. (Four
        // events, not eight: a first batch may take five of eight, and then the three left rightly wait for the linger.)
        await using var host = await AuditTrailHost.StartAsync(extra: new Dictionary<string, string>
        {
            ["Audit__AppendLinger"] = "00:00:10",
            ["Audit__AppendBatchSize"] = "8",
        });
        var caseId = Guid.NewGuid();
        var events = CaseStory.Build(caseId, DateTimeOffset.UtcNow.AddHours(-1)).SelectMany(step => step.Events).Take(4).ToList();
        Assert.Equal(4, events.Count);

        var appended = System.Diagnostics.Stopwatch.StartNew();
        foreach (var e in events)
            await host.SendAsync(e);
        await host.WaitForCaseRecordsAsync(caseId, events.Count);

        Assert.True(appended.Elapsed < TimeSpan.FromSeconds(5), $"four events were appended after {appended.Elapsed}, as if the 10 s linger ran out");
        await using var connection = await host.OpenOwnerAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("select count(distinct xmin::text) from audit_events where case_id = @caseId", new { caseId }));
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("00:00:11")]
    [InlineData("soon")]
    public async Task An_append_linger_outside_zero_to_ten_seconds_stops_the_start_naming_the_setting(string linger) =>
        Assert.Contains("Audit:AppendLinger", await ServiceProcess.OutputOfRefusedStartAsync("Audit",
            new Dictionary<string, string> { ["Audit__AppendLinger"] = linger, ["Audit__Schema"] = TestDatabase.NewSchema("audit_l") }), StringComparison.Ordinal);

    /// <summary>Six of a case's events, sent one at a time to a fresh audit with <paramref name="betweenSends"/> after each: the transactions that wrote them.</summary>
    private static async Task<long> TransactionsForSixEventsAsync(string linger, Func<AuditTrailHost, (Guid CaseId, int Count), Task> betweenSends)
    {
        await using var host = await AuditTrailHost.StartAsync(extra: new Dictionary<string, string> { ["Audit__AppendLinger"] = linger });
        var caseId = Guid.NewGuid();
        var events = CaseStory.Build(caseId, DateTimeOffset.UtcNow.AddHours(-1)).SelectMany(step => step.Events).Take(6).ToList();
        for (var i = 0; i < events.Count; i++)
        {
            await host.SendAsync(events[i]);
            await betweenSends(host, (caseId, i + 1));
        }
        await host.WaitForCaseRecordsAsync(caseId, events.Count);

        await using var connection = await host.OpenOwnerAsync();
        return await connection.ExecuteScalarAsync<long>("select count(distinct xmin::text) from audit_events where case_id = @caseId", new { caseId });
    }
}
