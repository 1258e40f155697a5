using System.Net;
using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Escalation;
using Accountability.ServiceDefaults.Security;
using Accountability.Escalation.Features.Timers;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>The clocks of ARCHITECTURE §5 against the real PostgreSQL and RabbitMQ, with time driven by the tests.</summary>
[Collection(nameof(EscalationFixture))]
public sealed class ClockScenarioTests(EscalationFixture fixture)
{
    private IsolatedEscalation Host => fixture.Host;

    [Fact]
    public async Task An_unacknowledged_case_warns_at_50_75_and_90_percent_then_moves_to_the_supervisor_at_the_breach()
    {
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", start);
        var clock = await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge,
            c => c.GetProperty("ownerId").GetString() == "p-1014" && c.GetProperty("dueAt").ValueKind == JsonValueKind.String, "the owner's acknowledge clock runs");
        Assert.Equal(start.AddHours(2), clock.GetProperty("dueAt").GetDateTimeOffset());
        Assert.Equal(1, clock.GetProperty("policyVersion").GetInt32());

        foreach (var (minutes, percent) in new[] { (61, 50), (91, 75), (109, 90) })
        {
            // The clock holds one timer, the threshold it reaches next; firing one sets the one after.
            Assert.Equal(new[] { percent }, await PendingThresholdsAsync(script.CaseId, SlaClocks.Acknowledge));
            await Host.AdvanceToAsync(start.AddMinutes(minutes));
            var warning = await Host.WaitForAsync<SlaWarning>(script.CaseId, w => w.Clock == SlaClocks.Acknowledge && w.Percent == percent, $"the {percent}% warning");
            Assert.Equal(("person", "p-1014"), (warning.OwnerKind, warning.OwnerId));
            Assert.Equal(start.AddHours(2), warning.DueAt);
            Assert.False(warning.Late);
            Assert.Empty(Host.ReceivedFor<SlaBreached>(script.CaseId));
        }

        Assert.Equal(new[] { TimerSchedule.BreachPercent }, await PendingThresholdsAsync(script.CaseId, SlaClocks.Acknowledge));
        await Host.AdvanceToAsync(start.AddMinutes(121));
        var breach = await Host.WaitForAsync<SlaBreached>(script.CaseId, b => b.Clock == SlaClocks.Acknowledge, "the breach");
        Assert.Equal(100, breach.Percent);
        Assert.Equal("p-1014", breach.OwnerId);
        var escalate = await Host.WaitForAsync<EscalateCase>(script.CaseId, _ => true, "EscalateCase to the supervisor");
        Assert.Equal(("p-1012", 1, SlaClocks.Acknowledge), (escalate.ToPersonId, escalate.Level, escalate.Clock));
        Assert.Equal(3, Host.ReceivedFor<SlaWarning>(script.CaseId).Count(w => w.Clock == SlaClocks.Acknowledge));
    }

    [Fact]
    public async Task An_unacknowledged_case_is_never_escalated_to_a_subject_officer_but_to_internal_affairs_command()
    {
        // Issue 17, finding 2: p-1028 owns it and reports to p-1027, the subject (badge 1019); the case went to p-1027.
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "misconduct", "p-1028", start, subjectBadges: ["1019"]);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1028", "the owner's clock runs");

        await Host.AdvanceToAsync(start.AddMinutes(121));

        var escalate = await Host.WaitForAsync<EscalateCase>(script.CaseId, _ => true, "EscalateCase past the conflicted levels");
        Assert.Equal("p-1011", escalate.ToPersonId);
    }

    [Fact]
    public async Task An_officer_added_by_an_amended_allegation_is_skipped_by_escalation_too()
    {
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "misconduct", "p-1028", start);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1028", "the owner's clock runs");
        await Host.PublishAsync(new AllegationAmended
        {
            CaseId = script.CaseId, CaseVersion = script.Next(), Actor = "p-1028", Reason = "The sergeant was there too", OccurredAt = start,
            Allegation = new CaseAllegation { Id = "a2", Type = "misconduct", OfficerBadge = "1019" }, SubjectOfficerBadges = ["1019"],
        });
        await Eventually.HoldsAsync(async () => await Host.CountAsync("select count(*) from cases where case_id = @id and '1019' = any(subject_badges)", new { id = script.CaseId }) == 1,
            "escalation knows the new subject");

        await Host.AdvanceToAsync(start.AddMinutes(121));

        var escalate = await Host.WaitForAsync<EscalateCase>(script.CaseId, _ => true, "EscalateCase past the conflicted sergeant");
        Assert.Equal("p-1011", escalate.ToPersonId);
    }

    [Fact]
    public async Task A_case_that_keeps_being_ignored_climbs_the_whole_chain_to_the_top_and_never_higher()
    {
        var script = await CaseScript.RoutedAsync(Host, "misconduct", "p-1014", await Host.NowAsync());
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the owner's clock runs");

        foreach (var (supervisor, level) in new[] { ("p-1012", 1), ("p-1011", 2), ("p-1003", 3), ("p-1001", 4) })
        {
            await Host.AdvanceAsync(TimeSpan.FromMinutes(121));
            var escalate = await Host.WaitForAsync<EscalateCase>(script.CaseId, e => e.Level == level, $"escalation to level {level}");
            Assert.Equal(supervisor, escalate.ToPersonId);
            // Assignment performs it and announces the transfer; the new owner gets a fresh two hours.
            var now = await Host.NowAsync();
            await script.TransferAsync("escalated", "person", supervisor, now, level);
            var fresh = await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge,
                c => c.GetProperty("ownerId").GetString() == supervisor && c.GetProperty("state").GetString() == "running", $"{supervisor}'s fresh clock");
            Assert.Equal(now.AddHours(2), fresh.GetProperty("dueAt").GetDateTimeOffset());
        }

        await Host.AdvanceAsync(TimeSpan.FromMinutes(121));
        var top = await Host.WaitForAsync<EscalationRaised>(script.CaseId, r => r.Outcome == "top-of-chain", "the top of the chain is recorded");
        Assert.Equal("p-1001", top.OwnerId);
        Assert.Null(top.ToPersonId);
        await Host.WaitUntilTimersCaughtUpAsync(script.CaseId);
        Assert.Equal(4, await Host.OutboxCountAsync<EscalateCase>(script.CaseId));
        Assert.Equal(5, await Host.OutboxCountAsync<SlaBreached>(script.CaseId, SlaClocks.Acknowledge));

        using var response = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Get, $"/api/escalations?caseId={script.CaseId}", TestTokens.For("p-1011", Roles.Supervisor));
        var listed = (await IsolatedEscalation.ReadAsync(response)).EnumerateArray().Reverse().ToList();
        Assert.Equal<IEnumerable<string>>(["p-1012", "p-1011", "p-1003", "p-1001", "(nobody)"],
            listed.Select(e => e.GetProperty("toPersonId").GetString() ?? "(nobody)"));
        Assert.Equal<IEnumerable<string>>(["custody-requested", "custody-requested", "custody-requested", "custody-requested", "top-of-chain"],
            listed.Select(e => e.GetProperty("outcome").GetString()!));
        Assert.All(listed, e => Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("reason").GetString())));
    }

    [Fact]
    public async Task A_handoff_left_pending_past_its_deadline_is_escalated_while_the_owner_keeps_the_case()
    {
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "discourtesy", "p-1028", start);
        await script.AcknowledgeAsync(start);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("state").GetString() == "stopped", "acknowledged");
        await script.RequestHandoffAsync("p-1031", start);
        var clock = await Host.WaitForClockAsync(script.CaseId, SlaClocks.HandoffAccept,
            c => c.GetProperty("state").GetString() == "running" && c.GetProperty("dueAt").ValueKind == JsonValueKind.String, "the handoff clock runs");
        var due = clock.GetProperty("dueAt").GetDateTimeOffset();
        Assert.True(due > start);

        await Host.AdvanceToAsync(due.AddMinutes(1));
        var raised = await Host.WaitForAsync<EscalationRaised>(script.CaseId, r => r.Clock == SlaClocks.HandoffAccept, "the late handoff is escalated");
        Assert.Equal(("supervisor-notified", "p-1027", "p-1028"), (raised.Outcome, raised.ToPersonId, raised.OwnerId));
        var breach = await Host.WaitForAsync<SlaBreached>(script.CaseId, b => b.Clock == SlaClocks.HandoffAccept, "the handoff breach");
        Assert.Equal("p-1028", breach.OwnerId);
        // The owner keeps the case: no custody move was asked for (it would share the escalation's transaction).
        Assert.Equal(0, await Host.OutboxCountAsync<EscalateCase>(script.CaseId));
    }

    [Fact]
    public async Task A_paused_statutory_clock_does_not_fire_and_fires_correctly_after_it_resumes()
    {
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "lack-of-service", "p-1031", start);
        await script.AcknowledgeAsync(start);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Statutory, c => c.GetProperty("policyVersion").ValueKind == JsonValueKind.Number, "the statutory clock runs");
        // The pause is allowed by the owner's chain, so escalation must know the owner first: the acknowledgement comes after the routing.
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("state").GetString() == "stopped", "acknowledged");
        var supervisor = TestTokens.For("p-1030", Roles.Supervisor);

        using (var unknownReason = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/pause", supervisor, new { reason = "busy" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknownReason.StatusCode);
            Assert.Equal("application/problem+json", unknownReason.Content.Headers.ContentType?.MediaType);
        }
        using (var investigator = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/pause",
                   TestTokens.For("p-1031", Roles.Investigator), new { reason = "written-waiver" }))
            Assert.Equal(HttpStatusCode.Forbidden, investigator.StatusCode);

        using (var pause = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/pause", supervisor,
                   new { reason = StatutoryPauseReasons.CriminalInvestigationPending }))
            Assert.Equal("paused", (await IsolatedEscalation.ReadAsync(pause)).GetProperty("state").GetString());
        var paused = await Host.WaitForAsync<StatutoryClockPaused>(script.CaseId, _ => true, "the pause is an event");
        Assert.Equal(("p-1030", StatutoryPauseReasons.CriminalInvestigationPending, TimeSpan.FromDays(365)), (paused.Actor, paused.PauseReason, paused.Remaining));

        // 400 days later the resolution clock (120 days) has breached; the paused statutory clock has not moved.
        await Host.AdvanceAsync(TimeSpan.FromDays(400));
        await Host.WaitForAsync<SlaBreached>(script.CaseId, b => b.Clock == SlaClocks.Resolution, "the resolution clock breaches meanwhile");
        await Host.WaitUntilTimersCaughtUpAsync(script.CaseId);
        Assert.Equal(0, await Host.OutboxCountAsync<SlaWarning>(script.CaseId, SlaClocks.Statutory));
        Assert.Equal(0, await Host.OutboxCountAsync<SlaBreached>(script.CaseId, SlaClocks.Statutory));
        var whilePaused = await Host.WaitForClockAsync(script.CaseId, SlaClocks.Statutory, _ => true, "clock readable");
        Assert.Equal(("paused", 0.0), (whilePaused.GetProperty("state").GetString(), whilePaused.GetProperty("elapsedPercent").GetDouble()));

        var resumedAt = await Host.NowAsync();
        using (var resume = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/resume", supervisor))
            Assert.Equal("running", (await IsolatedEscalation.ReadAsync(resume)).GetProperty("state").GetString());
        var resumed = await Host.WaitForAsync<StatutoryClockResumed>(script.CaseId, _ => true, "the resume is an event");
        Assert.Equal(resumedAt.AddDays(365), resumed.DueAt);

        await Host.AdvanceAsync(TimeSpan.FromDays(366));
        var breach = await Host.WaitForAsync<SlaBreached>(script.CaseId, b => b.Clock == SlaClocks.Statutory, "the statutory clock breaches after resuming");
        Assert.Equal(resumed.DueAt, breach.DueAt);
        await Host.WaitUntilTimersCaughtUpAsync(script.CaseId);
        foreach (var percent in new[] { 50, 75, 90 })
            Assert.Equal(1, await Host.OutboxCountAsync<SlaWarning>(script.CaseId, SlaClocks.Statutory, percent));
        var clock = await Host.WaitForClockAsync(script.CaseId, SlaClocks.Statutory, _ => true, "clock readable");
        var pauses = clock.GetProperty("pauses");
        Assert.Equal(1, pauses.GetArrayLength());
        Assert.Equal(resumedAt, pauses[0].GetProperty("to").GetDateTimeOffset());
    }

    [Fact]
    public async Task Only_the_owners_chain_or_internal_affairs_command_may_pause_the_statutory_clock_and_never_the_subjects_chain()
    {
        // Issue 17, finding 3: any supervisor, commander or admin could pause any case's statutory clock.
        // The owner p-1014 reports to p-1012, then p-1011 (internal-affairs command). The subject is p-1028 (badge 1544),
        // below p-1027 and p-1026; p-1030 supervises elsewhere.
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", start, subjectBadges: ["1544"]);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Statutory, c => c.GetProperty("policyVersion").ValueKind == JsonValueKind.Number, "the statutory clock runs");
        var path = $"/api/cases/{script.CaseId}/statutory/pause";
        var body = new { reason = StatutoryPauseReasons.CriminalInvestigationPending };

        foreach (var (person, role, expected) in new[]
                 {
                     ("p-1030", Roles.Supervisor, HttpStatusCode.NotFound),  // unrelated supervisor, who may not see the case either
                     ("p-1005", Roles.Admin, HttpStatusCode.Forbidden),      // an admin sees the board, but runs the system, not cases
                     ("p-1027", Roles.Supervisor, HttpStatusCode.NotFound),  // the subject's own supervisor
                     ("p-1026", Roles.Commander, HttpStatusCode.NotFound),   // the subject's commander
                 })
        {
            using var refused = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, path, TestTokens.For(person, role), body);
            Assert.True(expected == refused.StatusCode, $"{person}: {refused.StatusCode}");
        }
        Assert.Equal(0, await Host.OutboxCountAsync<StatutoryClockPaused>(script.CaseId));

        using (var owners = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, path, TestTokens.For("p-1012", Roles.Supervisor), body))
            Assert.Equal("paused", (await IsolatedEscalation.ReadAsync(owners)).GetProperty("state").GetString());
        using (var command = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/resume", TestTokens.For("p-1011", Roles.Commander)))
            Assert.Equal("running", (await IsolatedEscalation.ReadAsync(command)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Duplicate_and_reordered_case_events_neither_double_a_clock_nor_fire_a_timer_twice()
    {
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", start);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the owner's clock runs");
        var routedAgain = script.Transfer("routed", "person", "p-1014", start, version: script.Version);

        // The newest version (a handoff to p-1015) arrives first, then a stale transfer and acknowledgement one version older, then duplicates.
        var newest = script.Transfer("handoff", "person", "p-1015", start, version: script.Version + 2);
        var stale = script.Transfer("reassigned", "person", "p-1016", start, version: newest.CaseVersion - 1);
        var staleAcknowledge = new CaseAcknowledged
        {
            CaseId = script.CaseId, CaseVersion = stale.CaseVersion, Actor = "p-1016", Reason = "", OccurredAt = start, OwnerKind = "person", OwnerId = "p-1016",
        };
        var consumed = new List<Guid>
        {
            await Host.PublishTrackedAsync(newest),
            await Host.PublishTrackedAsync(stale),
            await Host.PublishTrackedAsync(staleAcknowledge),
            await Host.PublishTrackedAsync(newest),
            await Host.PublishTrackedAsync(routedAgain),
        };
        await Host.WaitUntilConsumedAsync([.. consumed]);
        var clock = await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, _ => true, "clock readable");
        Assert.Equal(("p-1015", "running"), (clock.GetProperty("ownerId").GetString(), clock.GetProperty("state").GetString()));

        await Host.AdvanceAsync(TimeSpan.FromMinutes(121));
        await Host.WaitForAsync<SlaBreached>(script.CaseId, b => b.Clock == SlaClocks.Acknowledge, "the breach");
        await Host.WaitUntilTimersCaughtUpAsync(script.CaseId);
        foreach (var percent in new[] { 50, 75, 90 })
            Assert.Equal(1, await Host.OutboxCountAsync<SlaWarning>(script.CaseId, SlaClocks.Acknowledge, percent));
        Assert.Equal(1, await Host.OutboxCountAsync<SlaBreached>(script.CaseId, SlaClocks.Acknowledge));
        Assert.Equal(1, await Host.OutboxCountAsync<EscalateCase>(script.CaseId));
        var escalate = await Host.WaitForAsync<EscalateCase>(script.CaseId, _ => true, "EscalateCase");
        Assert.Equal("p-1012", escalate.ToPersonId); // p-1015's supervisor, not p-1016's
        Assert.Equal(1, await Host.CountAsync("select count(*) from clocks where case_id = @caseId and clock = 'resolution'", new { caseId = script.CaseId }));
    }

    /// <summary>The thresholds of the clock's pending timers in its current run and generation.</summary>
    private async Task<int[]> PendingThresholdsAsync(Guid caseId, string clock)
    {
        await using var connection = await TestDatabase.OpenAsync(Host.Schema);
        return [.. await connection.QueryAsync<int>(
            """
            select t.percent from timers t join clocks c on c.case_id = t.case_id and c.clock = t.clock and c.run = t.run and c.generation = t.generation
            where t.case_id = @caseId and t.clock = @clock and t.state = 'pending' order by t.percent
            """, new { caseId, clock })];
    }
}
