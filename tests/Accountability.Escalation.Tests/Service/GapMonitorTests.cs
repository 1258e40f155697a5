using System.Net;
using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>The gap monitor reads assignment's API on its own schedule: a case corrupted behind the event flow's back is still caught.</summary>
public sealed class GapMonitorTests
{
    private static string Admin => TestTokens.For("p-1005", Roles.Admin);

    [Fact]
    public async Task A_case_whose_owner_is_made_inactive_behind_the_events_back_is_reported_and_escalated_by_the_next_sweep()
    {
        await using var harness = await GapMonitorHarness.StartAsync();
        var (caseId, routedOwner) = await harness.FileRoutedCaseAsync();
        var (inactive, expectedTarget) = InactiveOwnerAndSupervisor(routedOwner);

        await GapMonitorHarness.SetOwnerBehindTheEventsBackAsync(caseId, inactive);

        var escalated = await Eventually.ReturnsAsync(() => harness.EscalationsAsync(caseId), list => list.GetArrayLength() > 0,
            "the monitor escalates the case", TimeSpan.FromSeconds(60));
        var only = escalated[0];
        Assert.Equal(("gap-monitor", "custody-requested", expectedTarget, inactive),
            (only.GetProperty("source").GetString(), only.GetProperty("outcome").GetString(), only.GetProperty("toPersonId").GetString(), only.GetProperty("ownerId").GetString()));

        // The finding is kept with the escalation it caused. (The report is the last sweep only: once assignment has moved
        // the case to the supervisor the next sweep, a second later, rightly no longer lists it, so it is not polled for here.)
        Assert.Equal(1, await harness.CountAsync(
            "select count(*) from gap_findings where case_id = @caseId and problem = 'owner-inactive' and escalation_id is not null",
            new { caseId }));
        var report = await Eventually.ReturnsAsync(() => harness.ReportAsync(Admin), r => r.ValueKind == JsonValueKind.Object,
            "a sweep has been reported");
        Assert.True(report.GetProperty("escalates").GetBoolean()); // the default

        // Assignment performed the EscalateCase: the supervisor owns the case now.
        await harness.AssignmentCaseAsync(caseId, c => c.GetProperty("owner").GetProperty("id").GetString() == expectedTarget);

        // Later sweeps see an active owner and escalate nothing more.
        var sweeps = report.GetProperty("sweeps").GetInt64();
        await Eventually.ReturnsAsync(() => harness.ReportAsync(Admin), r => r.ValueKind == JsonValueKind.Object && r.GetProperty("sweeps").GetInt64() >= sweeps + 2,
            "two more sweeps", TimeSpan.FromSeconds(90));
        Assert.Equal(1, (await harness.EscalationsAsync(caseId)).GetArrayLength());
    }

    [Fact]
    public async Task A_gap_in_a_case_several_pages_down_the_list_is_found_by_paging_after_each_page_s_last_case()
    {
        // Three cases to a page, and three filed after this one: it is on the second page or later of the newest-first list,
        // which the monitor reaches only through the page cursor (GET /api/cases?after=).
        await using var harness = await GapMonitorHarness.StartAsync(pageSize: 3);
        var (caseId, routedOwner) = await harness.FileRoutedCaseAsync();
        for (var i = 0; i < 3; i++)
            await harness.FileRoutedCaseAsync();
        var (inactive, expectedTarget) = InactiveOwnerAndSupervisor(routedOwner);

        await GapMonitorHarness.SetOwnerBehindTheEventsBackAsync(caseId, inactive);

        var escalated = await Eventually.ReturnsAsync(() => harness.EscalationsAsync(caseId), list => list.GetArrayLength() > 0,
            "the monitor escalates the case", TimeSpan.FromSeconds(90));
        Assert.Equal(("gap-monitor", expectedTarget), (escalated[0].GetProperty("source").GetString(), escalated[0].GetProperty("toPersonId").GetString()));
        var report = await Eventually.ReturnsAsync(() => harness.ReportAsync(Admin), r => r.ValueKind == JsonValueKind.Object,
            "a sweep has been reported");
        Assert.True(report.GetProperty("openCases").GetInt32() > 3, "the sweep went past the first page");
    }

    [Fact]
    public async Task A_report_only_monitor_reports_the_same_gap_to_a_dispatcher_but_never_escalates_it()
    {
        await using var harness = await GapMonitorHarness.StartAsync(escalates: false);
        var (caseId, routedOwner) = await harness.FileRoutedCaseAsync();
        var (inactive, _) = InactiveOwnerAndSupervisor(routedOwner);
        var dispatcher = TestTokens.For("p-1009", Roles.Dispatcher);

        await GapMonitorHarness.SetOwnerBehindTheEventsBackAsync(caseId, inactive);
        try
        {
            var report = await Eventually.ReturnsAsync(() => harness.ReportAsync(dispatcher),
                r => r.ValueKind == JsonValueKind.Object && r.GetProperty("findings").EnumerateArray().Any(f => f.GetProperty("caseId").GetGuid() == caseId),
                "the sweep reports the case to the dispatcher", TimeSpan.FromSeconds(60));
            Assert.False(report.GetProperty("escalates").GetBoolean());
            Assert.True(report.GetProperty("unowned").GetInt32() >= 1);
            var finding = report.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("caseId").GetGuid() == caseId);
            Assert.Equal(("owner-inactive", inactive, false),
                (finding.GetProperty("problem").GetString(), finding.GetProperty("ownerId").GetString(), finding.GetProperty("escalatedNow").GetBoolean()));

            // Two more sweeps still see the gap, and still act on nothing.
            var sweeps = report.GetProperty("sweeps").GetInt64();
            var later = await Eventually.ReturnsAsync(() => harness.ReportAsync(dispatcher),
                r => r.ValueKind == JsonValueKind.Object && r.GetProperty("sweeps").GetInt64() >= sweeps + 2, "two more sweeps", TimeSpan.FromSeconds(90));
            Assert.Contains(later.GetProperty("findings").EnumerateArray(), f => f.GetProperty("caseId").GetGuid() == caseId && !f.GetProperty("escalatedNow").GetBoolean());
            Assert.Equal(0, (await harness.EscalationsAsync(caseId)).GetArrayLength());
            Assert.Equal(0, await harness.CountAsync(
                "select count(*) from outbox where message_type like @type and body->>'caseId' = @caseId",
                new { type = $"{typeof(EscalateCase).FullName},%", caseId = caseId.ToString() }));
            Assert.Equal(0, await harness.CountAsync("select count(*) from gap_findings where case_id = @caseId", new { caseId }));
            var owner = (await harness.AssignmentCaseAsync(caseId, _ => true)).GetProperty("owner").GetProperty("id").GetString();
            Assert.Equal(inactive, owner);

            using var investigator = await harness.ReportResponseAsync(TestTokens.For("p-1014", Roles.Investigator));
            Assert.Equal(HttpStatusCode.Forbidden, investigator.StatusCode);
        }
        finally
        {
            // Nobody escalated it, so put the owner back: the assignment schema is shared with other tests.
            await GapMonitorHarness.SetOwnerBehindTheEventsBackAsync(caseId, routedOwner);
        }
    }

    /// <summary>p-1017 and p-1034 are inactive in the sample department; escalation goes to their first active supervisor.</summary>
    private static (string Inactive, string Supervisor) InactiveOwnerAndSupervisor(string routedOwner) =>
        routedOwner == "p-1012" ? ("p-1034", "p-1033") : ("p-1017", "p-1012");
}
