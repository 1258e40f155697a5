using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// Each clock says when escalation last wrote it (clocks.written_at), in the database's time and not the service's clock or
/// the event's instant: how far behind its events escalation runs. `make bench` times the clocked stage by it.
/// </summary>
public sealed class ClockWrittenAtTests
{
    private static readonly DateTimeOffset T0 = IsolatedEscalation.DefaultStart;

    [Fact]
    public async Task A_clock_records_when_escalation_wrote_it_in_the_database_time_and_each_later_write_moves_it()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        await host.StartInstanceAsync(T0);
        await host.PublishDirectoryAsync();

        var before = await DatabaseNowAsync(host);
        var script = await CaseScript.RoutedAsync(host, "force", "p-1014", T0, anonymous: false);
        await Eventually.HoldsAsync(async () => await host.CountAsync(
                "select count(*) from clocks where case_id = @caseId and clock = 'acknowledge' and owner_kind = 'person' and state = 'running'",
                new { caseId = script.CaseId }) == 1, "the owner's acknowledge clock runs");
        var routed = await DatabaseNowAsync(host);

        var written = await WrittenAtAsync(host, script.CaseId, "acknowledge");
        Assert.InRange(written, before, routed);
        // The clock itself runs from the event's instant, months before the write (the service's clock starts at T0).
        Assert.Equal(T0.ToUnixTimeMilliseconds(), await host.CountAsync(
            "select (extract(epoch from started_at) * 1000)::bigint from clocks where case_id = @caseId and clock = 'acknowledge'", new { caseId = script.CaseId }));

        // The owner acknowledges: the clock stops, and its written_at moves to that write.
        await script.AcknowledgeAsync(T0.AddHours(1));
        await Eventually.HoldsAsync(async () => await host.CountAsync(
                "select count(*) from clocks where case_id = @caseId and clock = 'acknowledge' and state = 'stopped'", new { caseId = script.CaseId }) == 1,
            "the acknowledge clock stops");
        var acknowledged = await WrittenAtAsync(host, script.CaseId, "acknowledge");
        Assert.InRange(acknowledged, routed, await DatabaseNowAsync(host));
    }

    private static Task<long> DatabaseNowAsync(IsolatedEscalation host) =>
        host.CountAsync("select (extract(epoch from clock_timestamp()) * 1000)::bigint", new { });

    private static Task<long> WrittenAtAsync(IsolatedEscalation host, Guid caseId, string clock) =>
        host.CountAsync("select (extract(epoch from written_at) * 1000)::bigint from clocks where case_id = @caseId and clock = @clock", new { caseId, clock });
}
