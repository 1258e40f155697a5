using Accountability.Contracts.Escalation;
using Accountability.Contracts.Intake;
using Accountability.TestSupport;
using Accountability.Escalation.Consumers;
using Dapper;
using MassTransit;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// Case events are applied to the clocks in groups: one transaction for the events of different cases that arrive
/// together. Each test runs its own instance on its own schema and virtual host, and stops it so that events wait in the
/// queue and arrive together when it starts again.
/// </summary>
public sealed class GroupClockTests
{
    private static readonly DateTimeOffset T0 = IsolatedEscalation.DefaultStart;
    private static readonly string[] Owners = ["p-1014", "p-1015", "p-1016", "p-1018", "p-1019", "p-1020", "p-1021"];

    [Fact]
    public async Task Events_of_many_cases_that_arrive_together_share_transactions_and_leave_each_case_as_if_it_had_been_applied_alone()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        var first = await host.StartInstanceAsync(T0);
        await host.PublishDirectoryAsync();
        // A reference case whose events meet no other case's: each of its groups holds it alone.
        var reference = await CaseScript.RoutedAsync(host, "force", "p-1014", T0, anonymous: false);
        await WaitUntilRoutedAsync(host, [reference]);
        await host.StopInstanceAsync(first);
        await RecordTransactionsAsync(host);

        // Thirty cases of four events each wait in the queue, and arrive together at the start.
        var cases = new List<CaseScript>();
        for (var i = 0; i < 30; i++)
            cases.Add(await CaseScript.RoutedAsync(host, "force", i % 3 == 0 ? "p-1014" : Owners[i % Owners.Length], T0, anonymous: false));
        await host.StartInstanceAsync(T0);
        await WaitUntilRoutedAsync(host, cases);

        var events = await host.CountAsync("select count(*) from test_clock_transactions", new { });
        var transactions = await host.CountAsync("select count(distinct txid) from test_clock_transactions", new { });
        Assert.Equal(120, events);
        Assert.True(transactions <= events / 2, $"{events} events were applied in {transactions} transactions; in groups, at most half as many");

        // Same owner, same instants: the clocks, their due times and the timers ahead of each are those of the case applied alone.
        var expectedClocks = (await host.ClocksAsync(reference.CaseId)).GetRawText();
        var expectedTimers = await TimersAheadAsync(host, reference.CaseId);
        Assert.Contains(SlaClocks.FirstContact, expectedClocks, StringComparison.Ordinal);
        Assert.Equal(4, expectedTimers.Count); // one per running clock: its next threshold
        foreach (var script in cases)
        {
            if (script.OwnerId == "p-1014")
                Assert.Equal(expectedClocks, (await host.ClocksAsync(script.CaseId)).GetRawText());
            Assert.Equal(expectedTimers, await TimersAheadAsync(host, script.CaseId));
        }
    }

    [Fact]
    public async Task An_event_the_database_refuses_goes_to_the_error_queue_alone_and_the_events_that_arrived_with_it_are_applied()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        var first = await host.StartInstanceAsync(T0);
        await host.PublishDirectoryAsync();
        await host.StopInstanceAsync(first);

        // Seven good receipts and one whose case the database refuses to update, arriving together.
        var refused = Guid.NewGuid();
        await RefuseCaseAsync(host, refused);
        var good = Enumerable.Range(0, 7).Select(_ => Guid.NewGuid()).ToList();
        foreach (var caseId in good.Take(3).Append(refused).Concat(good.Skip(3)))
            await host.PublishAsync(Receipt(caseId));
        var second = await host.StartInstanceAsync(T0);

        var errorQueue = new KebabCaseEndpointNameFormatter(host.Schema, includeNamespace: false).Consumer<CaseEventsConsumer>() + "_error";
        await Eventually.HoldsAsync(async () => await host.QueueDepthAsync(errorQueue) == 1,
            "the refused receipt waits in the error queue", TimeSpan.FromSeconds(60));
        Assert.Equal(good.Count, await host.CountAsync(
            "select count(*) from clocks where case_id = any(@good) and clock = 'resolution' and state = 'running'", new { good = good.ToArray() }));
        Assert.Equal(0, await host.CountAsync("select count(*) from clocks where case_id = @refused", new { refused }));
        Assert.Contains("case events together failed; writing them one at a time", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cases_receipt_and_routing_that_arrive_apart_within_the_linger_are_applied_in_one_transaction_as_if_one_by_one()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        var first = await host.StartInstanceAsync(T0, NoLinger);
        await host.PublishDirectoryAsync();
        // The same history applied with no linger: the clocks the gathered case must end with.
        var reference = await CaseScript.RoutedAsync(host, "force", "p-1014", T0, anonymous: false);
        await WaitUntilRoutedAsync(host, [reference]);
        await host.StopInstanceAsync(first);
        await RecordTransactionsAsync(host);

        await host.StartInstanceAsync(T0, new Dictionary<string, string> { ["Escalation__CaseEventsLinger"] = "00:00:05" });
        // The scenario: a trickle, where a case's four events arrive 150 ms apart, well inside the linger.
        var gathered = await CaseScript.RoutedAsync(host, "force", "p-1014", T0, anonymous: false, apart: TimeSpan.FromMilliseconds(150));
        await WaitUntilRoutedAsync(host, [gathered]);

        Assert.Equal(4, await host.CountAsync("select count(*) from test_clock_transactions", new { }));
        Assert.Equal(1, await host.CountAsync("select count(distinct txid) from test_clock_transactions", new { }));
        Assert.Equal((await host.ClocksAsync(reference.CaseId)).GetRawText(), (await host.ClocksAsync(gathered.CaseId)).GetRawText());
        Assert.Equal(await TimersAheadAsync(host, reference.CaseId), await TimersAheadAsync(host, gathered.CaseId));
    }

    [Fact]
    public async Task A_group_that_holds_half_the_events_the_queue_hands_over_at_once_is_written_without_waiting_out_the_linger()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        // Eight events in flight at most, and the longest linger: a case's four events fill a group.
        await host.StartInstanceAsync(T0, new Dictionary<string, string>
        {
            ["Escalation__CaseEventsLinger"] = "00:00:10",
            ["Escalation__CaseEventsPrefetchCount"] = "8",
        });
        await host.PublishDirectoryAsync();
        await RecordTransactionsAsync(host);

        var sent = await host.CountAsync("select (extract(epoch from clock_timestamp()) * 1000)::bigint", new { });
        var script = await CaseScript.RoutedAsync(host, "force", "p-1014", T0, anonymous: false);
        await WaitUntilRoutedAsync(host, [script]);

        Assert.Equal(1, await host.CountAsync("select count(distinct txid) from test_clock_transactions", new { }));
        // The group's transaction began well before the 10 s linger would have ended (clocks.written_at, the database's time).
        var written = await host.CountAsync(
            "select (extract(epoch from written_at) * 1000)::bigint from clocks where case_id = @caseId and clock = 'acknowledge'", new { caseId = script.CaseId });
        Assert.True(written - sent < 5_000, $"the group was written {written - sent} ms after its events were sent");
    }

    [Fact]
    public async Task With_the_linger_off_each_event_that_finds_the_writer_free_is_applied_at_once_in_its_own_transaction()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        await host.StartInstanceAsync(T0, NoLinger);
        await host.PublishDirectoryAsync();
        await RecordTransactionsAsync(host);

        // Each event is sent once the one before it is applied, so none waits for another.
        var caseId = Guid.NewGuid();
        var script = new CaseScript(host, caseId, "force");
        await host.WaitUntilConsumedAsync(await host.PublishTrackedAsync(Receipt(caseId)));
        script.Next();
        foreach (var (kind, toKind, toId) in new[] { ("received", "unit", "u-intake-desk"), ("routed", "person", "p-1014"), ("reassigned", "person", "p-1015") })
            await host.WaitUntilConsumedAsync(await host.PublishTrackedAsync(script.Transfer(kind, toKind, toId, T0)));

        Assert.Equal(4, await host.CountAsync("select count(distinct txid) from test_clock_transactions", new { }));
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("00:00:11")]
    [InlineData("soon")]
    public async Task A_case_events_linger_outside_0_to_10_seconds_or_not_a_time_stops_the_start_naming_the_setting(string linger) =>
        Assert.Contains("Escalation:CaseEventsLinger",
            await ServiceProcess.OutputOfRefusedStartAsync("Escalation", new Dictionary<string, string> { ["Escalation__CaseEventsLinger"] = linger }),
            StringComparison.Ordinal);

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    public async Task A_case_events_prefetch_that_is_not_a_count_from_1_to_10000_stops_the_start_naming_the_setting(string prefetch) =>
        Assert.Contains("Escalation:CaseEventsPrefetchCount",
            await ServiceProcess.OutputOfRefusedStartAsync("Escalation", new Dictionary<string, string> { ["Escalation__CaseEventsPrefetchCount"] = prefetch }),
            StringComparison.Ordinal);

    private static readonly Dictionary<string, string> NoLinger = new() { ["Escalation__CaseEventsLinger"] = "00:00:00" };

    private static Guid[] Ids(IEnumerable<CaseScript> cases) => [.. cases.Select(c => c.CaseId)];

    private static ComplaintReceived Receipt(Guid caseId) => new()
    {
        CaseId = caseId, CaseVersion = 1, TrackingCode = "RPD-TEST", Category = "force", Channel = "phone", SubjectOfficerBadges = [], Allegations = [],
        Anonymous = true, IntakeDeskUnitId = "u-intake-desk", ReceivedAt = T0, Actor = "p-1007", Reason = "",
    };

    private static Task WaitUntilRoutedAsync(IsolatedEscalation host, IReadOnlyList<CaseScript> cases) =>
        Eventually.HoldsAsync(async () => await host.CountAsync(
            "select count(*) from clocks where case_id = any(@ids) and clock = 'acknowledge' and owner_kind = 'person' and state = 'running'",
            new { ids = Ids(cases) }) == cases.Count, $"{cases.Count} cases' owners have a running acknowledge clock", TimeSpan.FromSeconds(90));

    /// <summary>
    /// The timers of each clock's current run and generation, as "clock percent instant". Not the run numbers: a case's
    /// two transfers may be applied in either order (a retried event goes to the back), and the versions then make the
    /// later one win either way, with a different count of runs behind it.
    /// </summary>
    private static async Task<List<string>> TimersAheadAsync(IsolatedEscalation host, Guid caseId)
    {
        await using var connection = await TestDatabase.OpenAsync(host.Schema);
        return [.. await connection.QueryAsync<string>(
            """
            select concat_ws(' ', t.clock, t.percent, t.fire_at) from timers t
            join clocks c on c.case_id = t.case_id and c.clock = t.clock and c.run = t.run and c.generation = t.generation
            where t.case_id = @caseId order by 1
            """, new { caseId })];
    }

    /// <summary>Records, for every clock event the inbox takes from now on, the transaction it was taken in; the trigger runs as its owner, the test's login.</summary>
    private static async Task RecordTransactionsAsync(IsolatedEscalation host)
    {
        await using var connection = await TestDatabase.OpenAsync(host.Schema);
        await connection.ExecuteAsync(
            $"""
            create table test_clock_transactions (message_id uuid primary key, txid bigint not null);
            create function test_record_clock_transaction() returns trigger language plpgsql security definer as $$
            begin
                insert into {host.Schema}.test_clock_transactions (message_id, txid) values (new.message_id, txid_current());
                return new;
            end $$;
            create trigger test_clock_transactions after insert on inbox for each row
                when (new.consumer like 'CaseEventsConsumer.%') execute function test_record_clock_transaction();
            """);
    }

    /// <summary>Makes the database refuse every update of one case, as a constraint a bad event breaks would.</summary>
    private static async Task RefuseCaseAsync(IsolatedEscalation host, Guid caseId)
    {
        await using var connection = await TestDatabase.OpenAsync(host.Schema);
        await connection.ExecuteAsync(
            $"""
            create function test_refuse_case() returns trigger language plpgsql as $$
            begin
                raise exception 'case % is refused by the test', new.case_id;
            end $$;
            create trigger test_refuse_case before update on cases for each row
                when (new.case_id = '{caseId}') execute function test_refuse_case();
            """);
    }
}
