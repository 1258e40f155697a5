using Accountability.Contracts.Custody;
using Accountability.Contracts.Escalation;
using Accountability.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Accountability.Escalation.Tests.Service;

/// <summary>Timers survive a stopped service and are shared by several instances, firing once in effect either way.</summary>
public sealed class DurabilityTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = IsolatedEscalation.DefaultStart;

    [Fact]
    public async Task Timers_that_fell_due_while_the_service_was_stopped_fire_once_each_marked_late()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        var first = await host.StartInstanceAsync(T0);
        await host.PublishDirectoryAsync();
        var script = await CaseScript.RoutedAsync(host, "force", "p-1014", T0);
        await host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the owner's clock runs");

        await host.StopInstanceAsync(first);
        // Three hours pass while nobody is running: every warning and the breach fall due unseen.
        await host.StartInstanceAsync(T0.AddHours(3));

        var breach = await host.WaitForAsync<SlaBreached>(script.CaseId, b => b.Clock == SlaClocks.Acknowledge, "the breach after the restart");
        Assert.True(breach.Late);
        Assert.Equal(TimeSpan.FromHours(1), breach.Lateness);
        await host.WaitUntilTimersCaughtUpAsync(script.CaseId);
        foreach (var (percent, lateness) in new[] { (50, TimeSpan.FromMinutes(120)), (75, TimeSpan.FromMinutes(90)), (90, TimeSpan.FromMinutes(72)) })
        {
            Assert.Equal(1, await host.OutboxCountAsync<SlaWarning>(script.CaseId, SlaClocks.Acknowledge, percent));
            var warning = await host.WaitForAsync<SlaWarning>(script.CaseId, w => w.Clock == SlaClocks.Acknowledge && w.Percent == percent, $"the {percent}% warning");
            Assert.Equal((true, lateness), (warning.Late, warning.Lateness));
        }
        Assert.Equal(1, await host.OutboxCountAsync<SlaBreached>(script.CaseId, SlaClocks.Acknowledge));
        Assert.Equal(1, await host.OutboxCountAsync<EscalateCase>(script.CaseId));
        Assert.Equal(4, await host.CountAsync(
            "select count(*) from timers where case_id = @caseId and clock = 'acknowledge' and state = 'fired' and late and lateness > interval '1 minute'",
            new { caseId = script.CaseId }));
    }

    [Fact]
    public async Task Two_instances_on_one_database_fire_every_timer_exactly_once()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        await host.StartInstanceAsync(T0);
        await host.StartInstanceAsync(T0);
        await host.PublishDirectoryAsync();
        string[] owners = ["p-1014", "p-1015", "p-1016", "p-1018", "p-1019", "p-1020", "p-1021"];
        var cases = new List<CaseScript>();
        for (var i = 0; i < 20; i++)
            cases.Add(await CaseScript.RoutedAsync(host, "force", owners[i % owners.Length], T0));
        var caseIds = cases.Select(c => c.CaseId).ToArray();
        await Eventually.HoldsAsync(async () => await host.CountAsync(
            "select count(*) from clocks where case_id = any(@caseIds) and clock = 'acknowledge' and owner_kind = 'person' and state = 'running'",
            new { caseIds }) == caseIds.Length, "every case's owner has a running acknowledge clock");

        await host.AdvanceAsync(TimeSpan.FromMinutes(121));

        await Eventually.HoldsAsync(async () => await host.CountAsync(
            "select count(*) from timers where case_id = any(@caseIds) and state = 'pending' and fire_at <= @due",
            new { caseIds, due = T0.AddMinutes(121).ToUniversalTime() }) == 0, "every due timer handled", TimeSpan.FromSeconds(60));
        Assert.Equal(0, await host.CountAsync(
            """
            select count(*) from (
                select body->>'caseId', message_type, body->>'clock', body->>'percent' from outbox
                where body->>'caseId' = any(@ids) group by 1, 2, 3, 4 having count(*) > 1) duplicates
            """, new { ids = caseIds.Select(id => id.ToString()).ToArray() }));
        foreach (var caseId in caseIds)
        {
            foreach (var percent in new[] { 50, 75, 90 })
                Assert.Equal(1, await host.OutboxCountAsync<SlaWarning>(caseId, SlaClocks.Acknowledge, percent));
            Assert.Equal(1, await host.OutboxCountAsync<SlaBreached>(caseId, SlaClocks.Acknowledge));
            Assert.Equal(1, await host.OutboxCountAsync<EscalateCase>(caseId));
        }
        var firedBy = await host.CountAsync(
            "select count(distinct fired_by) from timers where case_id = any(@caseIds) and state = 'fired'", new { caseIds });
        output.WriteLine($"Timers were fired by {firedBy} distinct instance(s).");
    }
}
