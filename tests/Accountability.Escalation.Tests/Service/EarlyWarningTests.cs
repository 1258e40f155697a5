using System.Net;
using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.Contracts.EarlyWarning;
using Accountability.Contracts.Intake;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// The early-intervention evaluator in a real escalation process, fed the allegation events as intake and assignment
/// publish them (issue 16). Each test names its own officer, so that the warnings of one never count in another.
/// </summary>
[Collection(nameof(EscalationFixture))]
public sealed class EarlyWarningTests(EscalationFixture fixture)
{
    private static readonly DateTimeOffset Start = new(2026, 2, 2, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_third_complaint_within_a_year_raises_exactly_one_warning_to_the_officers_chain_and_internal_affairs_never_to_a_subject()
    {
        var host = fixture.Host;
        // Badge 1569 is p-1031 (patrol 2): sergeant p-1030 (badge 1046), commander p-1029, deputy chief p-1002, chief p-1001.
        // The sergeant is a subject of the second complaint too, so he is not told.
        var complaints = new[]
        {
            Complaint("1569", "discourtesy", Start),
            Complaint("1569", "discourtesy", Start.AddDays(30), alsoAgainst: "1046"),
            Complaint("1569", "lack-of-service", Start.AddDays(60)),
        };
        await PublishInOrderAsync(host, complaints);

        var warning = await Eventually.ReturnsAsync(() => Task.FromResult(host.Received.OfType<EarlyWarningRaised>().SingleOrDefault(w => w.OfficerBadge == "1569")),
            w => w is not null, "the warning about badge 1569");
        Assert.Equal("complaints-12-months", warning!.PolicyId);
        Assert.Equal(1, warning.PolicyVersion);
        Assert.Equal("p-1031", warning.OfficerPersonId);
        Assert.Equal(Start.AddDays(60), warning.OccurredAt);
        Assert.Equal(complaints.Select(c => c.CaseId).Order(), warning.Cases.Select(c => c.CaseId).Order());
        Assert.Equal(["p-1029", "p-1002", "p-1001"], warning.SupervisorChain);
        Assert.Equal(["p-1011"], warning.InternalAffairsCommand);
        Assert.DoesNotContain("p-1031", warning.SupervisorChain.Concat(warning.InternalAffairsCommand));
        Assert.DoesNotContain("p-1030", warning.SupervisorChain.Concat(warning.InternalAffairsCommand));
        Assert.Equal(1, await host.CountAsync(
            "select count(*) from outbox where message_type like @type and body->>'officerBadge' = '1569'", new { type = $"{typeof(EarlyWarningRaised).FullName},%" }));
    }

    [Fact]
    public async Task A_second_crossing_inside_the_window_of_the_first_warning_does_not_repeat_it()
    {
        var host = fixture.Host;
        // Badge 1631 is p-1037 (patrol 4). Three complaints cross; two more inside the year cross again, and are not repeated.
        var complaints = Enumerable.Range(0, 5).Select(i => Complaint("1631", "discourtesy", Start.AddDays(20 * i))).ToArray();
        await PublishInOrderAsync(host, complaints);

        var warnings = await WarningsOfAsync(host, "1631");
        var warning = Assert.Single(warnings);
        Assert.Equal(Start.AddDays(40), warning.GetProperty("occurredAt").GetDateTimeOffset());
        Assert.Equal(1, await host.CountAsync(
            "select count(*) from outbox where message_type like @type and body->>'officerBadge' = '1631'", new { type = $"{typeof(EarlyWarningRaised).FullName},%" }));
        Assert.Single(host.Received.OfType<EarlyWarningRaised>(), w => w.OfficerBadge == "1631");
    }

    [Fact]
    public async Task A_supervisor_told_of_a_warning_acknowledges_it_with_an_intervention_and_nobody_else_may()
    {
        var host = fixture.Host;
        // Badge 1093 is p-1036, sergeant of patrol 4 (commander p-1035); two force allegations in six months.
        await PublishInOrderAsync(host, [Complaint("1093", "force", Start), Complaint("1093", "force", Start.AddDays(50))]);
        var warning = await Eventually.ReturnsAsync(() => Task.FromResult(host.Received.OfType<EarlyWarningRaised>().SingleOrDefault(w => w.OfficerBadge == "1093")),
            w => w is not null, "the warning about badge 1093");
        Assert.Equal("force-6-months", warning!.PolicyId);
        var path = $"/api/early-warnings/{warning.WarningId}/acknowledgement";
        var commander = TestTokens.For("p-1035", Roles.Commander);

        using (var bad = await IsolatedEscalation.SendAsync(host.Process, HttpMethod.Post, path, commander, new { intervention = "none" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
            Assert.True(JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("note", out _));
        }
        using (var unknown = await IsolatedEscalation.SendAsync(host.Process, HttpMethod.Post, path, commander, new { intervention = "flogging", note = "x" }))
            Assert.True(JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("intervention", out _));
        // The officer himself (a supervisor by role) and an unrelated sergeant are answered as if there were no warning.
        using (var himself = await IsolatedEscalation.SendAsync(host.Process, HttpMethod.Post, path, TestTokens.For("p-1036", Roles.Supervisor, Roles.Investigator), new { intervention = "training" }))
            Assert.Equal(HttpStatusCode.NotFound, himself.StatusCode);
        using (var stranger = await IsolatedEscalation.SendAsync(host.Process, HttpMethod.Post, path, TestTokens.For("p-1030", Roles.Supervisor, Roles.Investigator), new { intervention = "training" }))
            Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);

        using (var done = await IsolatedEscalation.SendAsync(host.Process, HttpMethod.Post, path, commander, new { intervention = "training", note = "Use-of-force refresher, March" }))
            Assert.Equal("training", (await IsolatedEscalation.ReadAsync(done)).GetProperty("intervention").GetString());
        var acknowledged = await Eventually.ReturnsAsync(() => Task.FromResult(host.Received.OfType<EarlyWarningAcknowledged>().SingleOrDefault(a => a.WarningId == warning.WarningId)),
            a => a is not null, "EarlyWarningAcknowledged");
        Assert.Equal(("p-1035", "training", "Use-of-force refresher, March"), (acknowledged!.Actor, acknowledged.Intervention, acknowledged.Reason));
        using (var again = await IsolatedEscalation.SendAsync(host.Process, HttpMethod.Post, path, commander, new { intervention = "counselling" }))
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        // The supervisor's list names no case; internal-affairs command's does.
        var seenByCommander = Assert.Single((await WarningsOfAsync(host, "1093", commander)));
        Assert.Equal(JsonValueKind.Null, seenByCommander.GetProperty("cases").ValueKind);
        Assert.Equal(2, seenByCommander.GetProperty("caseCount").GetInt32());
        var seenByIa = Assert.Single(await WarningsOfAsync(host, "1093"));
        Assert.Equal(2, seenByIa.GetProperty("cases").GetArrayLength());
        Assert.Empty(await WarningsOfAsync(host, "1093", TestTokens.For("p-1030", Roles.Supervisor)));
    }

    [Fact]
    public async Task Replaying_the_same_events_later_into_a_new_instance_gives_the_same_warnings_at_the_same_instants()
    {
        // Badge 1658 is p-1040 (patrol 5). Complaints, an allegation added during an investigation, and a sustained finding.
        var complaints = new[]
        {
            Complaint("1658", "force", Start),
            Complaint("1658", "discourtesy", Start.AddDays(10)),
            Complaint("1658", "misconduct", Start.AddDays(45)),
            Complaint("1658", "discourtesy", Start.AddDays(200)),
            Complaint("1658", "discourtesy", Start.AddDays(400)),
        };
        var added = new AllegationAmended
        {
            CaseId = complaints[1].CaseId, CaseVersion = 5, Actor = "p-1014", Reason = "A witness described a shove", OccurredAt = Start.AddDays(20),
            Allegation = new CaseAllegation { Id = Guid.NewGuid().ToString(), Type = "force", OfficerBadge = "1658" }, SubjectOfficerBadges = ["1658"],
        };
        var sustained = new FindingsRecorded
        {
            CaseId = complaints[2].CaseId, CaseVersion = 9, Actor = "p-1014", Reason = "", OccurredAt = Start.AddDays(120),
            AllegationId = complaints[2].Allegations[0].AllegationId.ToString(), Finding = "sustained",
        };
        object[] history = [complaints[0], complaints[1], added, complaints[2], sustained, complaints[3], complaints[4]];

        var live = await RunAsync(history, IsolatedEscalation.DefaultStart);
        var replayed = await RunAsync(history, IsolatedEscalation.DefaultStart.AddDays(700));

        Assert.Equal(3, live.Count); // force-6-months at day 20, complaints-12-months at day 45, sustained-serious at day 120
        Assert.Equal(live.Select(Summary), replayed.Select(Summary));
        Assert.Equal([Start.AddDays(20), Start.AddDays(45), Start.AddDays(120)], live.Select(w => w.OccurredAt));
    }

    [Fact]
    public async Task A_complaint_s_allegations_are_recorded_in_the_transaction_that_starts_its_clocks_and_the_evaluator_s_own_queue_takes_only_findings()
    {
        var host = fixture.Host;
        // Badge 9913 is nobody in the sample department: recorded, counted, and no chain to tell.
        var complaint = Complaint("9913", "discourtesy", Start, alsoAgainst: "9914");
        var id = await host.PublishTrackedAsync(complaint);

        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from inbox where message_id = @id", new { id }) == 2,
            "the clocks and the evaluator took the complaint");
        Assert.Equal(1, await host.CountAsync(
            """
            select count(distinct xmin::text) from inbox
            where message_id = @id and consumer in ('CaseEventsConsumer.ComplaintReceived', 'EarlyWarningConsumer.ComplaintReceived')
            """, new { id }));
        Assert.Equal(2, await host.CountAsync("select count(*) from early_warning_allegations where case_id = @CaseId", new { complaint.CaseId }));
        Assert.Equal(1, await host.CountAsync("select count(*) from clocks where case_id = @CaseId and clock = 'resolution'", new { complaint.CaseId }));

        var vhost = host.Broker.Name;
        var evaluator = host.QueueName("early-warning");
        var clocks = host.QueueName("case-events");
        var complaints = (await IsolatedVirtualHost.BindingsFromAsync(vhost, BrokerNames.ExchangeOf<ComplaintReceived>())).Select(b => b.Destination).ToList();
        Assert.Contains(clocks, complaints);
        Assert.DoesNotContain(evaluator, complaints);
        var amendments = (await IsolatedVirtualHost.BindingsFromAsync(vhost, BrokerNames.ExchangeOf<AllegationAmended>())).Select(b => b.Destination).ToList();
        Assert.Contains(clocks, amendments);
        Assert.DoesNotContain(evaluator, amendments);
        Assert.Contains(evaluator, (await IsolatedVirtualHost.BindingsFromAsync(vhost, BrokerNames.ExchangeOf<FindingsRecorded>())).Select(b => b.Destination));
    }

    [Fact]
    public async Task Where_an_older_version_bound_complaints_to_the_evaluator_s_own_queue_each_complaint_comes_twice_and_counts_once()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        var evaluator = host.QueueName("early-warning");
        await host.Broker.BindFanoutExchangesAsync(BrokerNames.ExchangeOf<ComplaintReceived>(), evaluator);
        await host.StartInstanceAsync();
        await host.PublishDirectoryAsync();
        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from org_directory", new { }) == 1, "the org chart is stored");

        // Badge 1569 is p-1031 (patrol 2), in a schema of this test's own: the third complaint crosses once.
        var complaints = new[]
        {
            Complaint("1569", "discourtesy", Start), Complaint("1569", "discourtesy", Start.AddDays(30)), Complaint("1569", "force", Start.AddDays(60)),
        };
        await PublishInOrderAsync(host, complaints);

        await Eventually.HoldsAsync(async () => await host.Broker.DeliveredAsync(evaluator) >= complaints.Length,
            "the old binding brought every complaint to the evaluator's own queue too", TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(() => host.Received.OfType<EarlyWarningRaised>().Any(), "the warning is published");
        Assert.Equal(3, await host.CountAsync("select count(*) from early_warning_allegations where officer_badge = '1569'", new { }));
        Assert.Equal(1, await host.CountAsync("select count(*) from early_warnings", new { }));
        Assert.Equal(1, await host.CountAsync("select count(*) from outbox where message_type like @type", new { type = $"{typeof(EarlyWarningRaised).FullName},%" }));
        Assert.Equal(0u, await host.Broker.QueueDepthAsync($"{evaluator}_skipped"));
        Assert.Equal(0u, await host.Broker.QueueDepthAsync($"{evaluator}_error"));

        // The README's step once every instance runs this version: the old binding goes, through the management API, and
        // a complaint still counts, from the clocks' queue alone.
        using (var management = IsolatedVirtualHost.ManagementClient(TestEnvironment.RabbitMqUri, TestEnvironment.RabbitMqManagementUri))
        {
            using var removed = await management.DeleteAsync(
                $"api/bindings/{Uri.EscapeDataString(host.Broker.Name)}/e/{Uri.EscapeDataString(BrokerNames.ExchangeOf<ComplaintReceived>())}/e/{Uri.EscapeDataString(evaluator)}/~");
            Assert.True(removed.IsSuccessStatusCode, $"DELETE of the old binding answered {(int)removed.StatusCode}");
        }
        Assert.DoesNotContain(evaluator, (await IsolatedVirtualHost.BindingsFromAsync(host.Broker.Name, BrokerNames.ExchangeOf<ComplaintReceived>())).Select(b => b.Destination));
        await PublishInOrderAsync(host, [Complaint("1569", "discourtesy", Start.AddDays(90))]);
        Assert.Equal(4, await host.CountAsync("select count(*) from early_warning_allegations where officer_badge = '1569'", new { }));
    }

    private static string Summary(EarlyWarningRaised w) =>
        $"{w.WarningId} {w.PolicyId} v{w.PolicyVersion} {w.OccurredAt:O} {w.WindowStart:O} {string.Join(",", w.Cases.Select(c => $"{c.CaseId}:{string.Join("+", c.AllegationIds)}"))} " +
        $"to {string.Join(",", w.SupervisorChain)} / {string.Join(",", w.InternalAffairsCommand)}";

    /// <summary>A fresh escalation instance, whose wall clock is <paramref name="clock"/>, told the history in order.</summary>
    private static async Task<List<EarlyWarningRaised>> RunAsync(object[] history, DateTimeOffset clock)
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        await host.StartInstanceAsync(clock);
        await host.PublishDirectoryAsync();
        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from org_directory", new { }) == 1, "the org chart is stored");
        await PublishInOrderAsync(host, history);
        var expected = await host.CountAsync("select count(*) from early_warnings", new { });
        await Eventually.HoldsAsync(() => host.Received.OfType<EarlyWarningRaised>().Count() == expected, $"{expected} warnings published");
        return [.. host.Received.OfType<EarlyWarningRaised>().OrderBy(w => w.OccurredAt)];
    }

    /// <summary>One at a time, each taken by the evaluator before the next is sent: the order the trail holds them in.</summary>
    private static async Task PublishInOrderAsync(IsolatedEscalation host, IEnumerable<object> events)
    {
        foreach (var message in events)
        {
            var id = message switch
            {
                ComplaintReceived m => await host.PublishTrackedAsync(m),
                AllegationAmended m => await host.PublishTrackedAsync(m),
                FindingsRecorded m => await host.PublishTrackedAsync(m),
                _ => throw new ArgumentException(message.GetType().Name),
            };
            try
            {
                await Eventually.HoldsAsync(async () => await host.CountAsync(
                    "select count(*) from inbox where message_id = @id and consumer like 'EarlyWarningConsumer.%'", new { id }) == 1, "the evaluator took the event");
            }
            catch (TimeoutException exception)
            {
                var output = host.Process.Output;
                throw new TimeoutException($"{exception.Message}; the service said:\n{output[Math.Max(0, output.Length - 6000)..]}", exception);
            }
        }
    }

    private static async Task<List<JsonElement>> WarningsOfAsync(IsolatedEscalation host, string badge, string? token = null)
    {
        using var response = await IsolatedEscalation.SendAsync(host.Process, HttpMethod.Get, $"/api/early-warnings?officerBadge={badge}",
            token ?? TestTokens.For("p-1011", Roles.Commander, Roles.Supervisor));
        return [.. (await IsolatedEscalation.ReadAsync(response)).EnumerateArray()];
    }

    private static int caseNumber;

    private static ComplaintReceived Complaint(string badge, string type, DateTimeOffset at, string? alsoAgainst = null)
    {
        var number = Interlocked.Increment(ref caseNumber);
        ReceivedAllegation[] allegations = alsoAgainst is null
            ? [new ReceivedAllegation { AllegationId = Guid.NewGuid(), Type = type, OfficerBadge = badge }]
            : [new ReceivedAllegation { AllegationId = Guid.NewGuid(), Type = type, OfficerBadge = badge },
               new ReceivedAllegation { AllegationId = Guid.NewGuid(), Type = type, OfficerBadge = alsoAgainst }];
        return new ComplaintReceived
        {
            CaseId = Guid.NewGuid(), CaseVersion = 1, TrackingCode = $"RPD-EW{number:D4}", CaseNumber = $"IA-2026-9{number:D4}", Category = type, Channel = "phone",
            SubjectOfficerBadges = [.. allegations.Select(a => a.OfficerBadge)], Allegations = allegations, Anonymous = true,
            IntakeDeskUnitId = "u-intake-desk", ReceivedAt = at, Actor = "p-1007", Reason = "",
        };
    }
}
