using Accountability.Contracts.Custody;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Notification.Tests;

/// <summary>
/// A dispatcher woken for a new delivery waits <c>Notification:Delivery:Linger</c> before it claims, so that the deliveries
/// recorded soon after go in the same claim. Each test runs a service of its own, on its own schema, queues and relay.
/// </summary>
public sealed class DispatchLingerTests
{
    [Fact]
    public Task Deliveries_recorded_apart_within_the_linger_are_claimed_together_and_each_sent_once() => WithServiceAsync("00:00:03", async service =>
    {

        // The scenario: a trickle, three complaints 150 ms apart, each planned in its own transaction, well inside the linger.
        var complaints = Enumerable.Range(0, 3).Select(i => NotificationService.Complaint(NotificationService.NewEmail($"linger-{i}"))).ToList();
        foreach (var complaint in complaints)
        {
            await service.PublishAsync(complaint);
            await Task.Delay(TimeSpan.FromMilliseconds(150));
        }
        var sent = await SentReceiptsAsync(service, complaints);

        Assert.Equal(1, await service.ScalarAsync<long>("select count(distinct claim_id) from test_claims"));
        foreach (var id in sent)
            Assert.Single(service.Smtp.ForDelivery(id));
    });

    [Fact]
    public Task The_mails_of_one_claim_are_announced_in_one_message_each_with_its_own_event_id_and_the_trace_of_its_send() =>
        WithServiceAsync("00:00:03", async service =>
    {
        var complaints = Enumerable.Range(0, 3).Select(i => NotificationService.Complaint(NotificationService.NewEmail($"together-{i}"))).ToList();
        foreach (var complaint in complaints)
            await service.PublishAsync(complaint);
        var sent = (await SentReceiptsAsync(service, complaints)).Select(Guid.Parse).ToHashSet();

        var items = await service.QueryAsync<(long Seq, Guid EventId, Guid DeliveryId, string? TraceParent, string PlannedTrace)>(
            """
            select o.seq, (item->>'eventId')::uuid, (item->'sent'->>'deliveryId')::uuid, item->>'traceParent', d.traceparent
            from outbox o cross join lateral jsonb_array_elements(o.body->'notifications') as item
            join deliveries d on d.id = (item->'sent'->>'deliveryId')::uuid
            where o.message_type like 'Accountability.Contracts.Notification.NotificationsSent,%' and d.id = any(@ids)
            """, new { ids = sent.ToArray() });

        Assert.Equal(sent, items.Select(i => i.DeliveryId).ToHashSet());
        Assert.Single(items.Select(i => i.Seq).Distinct()); // one claim, one message
        Assert.Equal(3, items.Select(i => i.EventId).Distinct().Count(e => e != Guid.Empty));
        // Each mail's own send, a span in the trace its planning began: the trail's record joins that case's trace.
        Assert.All(items, i => Assert.Equal(i.PlannedTrace.Split('-')[1], i.TraceParent!.Split('-')[1]));
        Assert.Equal(3, items.Select(i => i.TraceParent).Distinct().Count());
        Assert.Equal(0, await service.ScalarAsync<long>(
            "select count(*) from outbox where message_type like 'Accountability.Contracts.Notification.NotificationSent,%'"));
    });

    [Fact]
    public Task With_the_linger_off_a_delivery_that_wakes_an_idle_worker_is_claimed_at_once_on_its_own() => WithServiceAsync("00:00:00", async service =>
    {

        // Each complaint is sent once the one before it is sent, so none waits for another.
        var complaints = Enumerable.Range(0, 3).Select(i => NotificationService.Complaint(NotificationService.NewEmail($"no-linger-{i}"))).ToList();
        foreach (var complaint in complaints)
        {
            await service.PublishAsync(complaint);
            await SentReceiptsAsync(service, [complaint]);
        }

        Assert.Equal(3, await service.ScalarAsync<long>("select count(distinct claim_id) from test_claims"));
    });

    [Fact]
    public Task A_claims_outcomes_are_recorded_in_one_write_as_soon_as_the_last_is_known() => WithServiceAsync("00:00:10", async service =>
    {
        // One claim (the longest dispatch linger, since the two are planned by different consumers) holds a complainant's receipt, by e-mail, and an investigator's news, by a webhook
        // whose receiver answers 1.5 s late. The e-mail's outcome waits for the webhook's, under a record linger far
        // longer than both; the second outcome ends the wait.
        service.Webhooks.AnswerAfter("nt-hooked", TimeSpan.FromSeconds(1.5));
        var complaint = NotificationService.Complaint(NotificationService.NewEmail("record"));
        await service.PublishAsync(complaint);
        await service.PublishAsync(new CustodyTransferred
        {
            CaseId = complaint.CaseId, CaseVersion = NotificationService.Version(3), Actor = "nt-super", Reason = "Yours now",
            OccurredAt = DateTimeOffset.UtcNow, FromOwnerKind = "person", FromOwnerId = "nt-owner", ToOwnerKind = "person", ToOwnerId = "nt-hooked",
            TransferKind = "reassigned",
        });
        var receipt = await service.WaitForNotificationAsync(complaint.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent", "the receipt is sent");
        var news = await service.WaitForNotificationAsync(complaint.CaseId, "assignment", n => n.GetProperty("status").GetString() == "sent", "the webhook is sent");
        var ids = new[] { receipt, news }.Select(n => Guid.Parse(n.GetProperty("id").GetString()!)).ToArray();

        Assert.Equal(1, await service.ScalarAsync<long>("select count(distinct claim_id) from test_claims"));
        // Rows inserted by one statement carry its transaction's id.
        Assert.Equal(1, await service.ScalarAsync<long>("select count(distinct xmin::text) from delivery_attempts where delivery_id = any(@ids)", new { ids }));
        // The record's database time against the first attempt's start: the writer did not wait out the ten seconds.
        var waited = await service.ScalarAsync<double>(
            """
            select extract(epoch from max(d.next_attempt_at) - min(a.started_at))::float8
            from deliveries d join delivery_attempts a on a.delivery_id = d.id where d.id = any(@ids)
            """, new { ids });
        Assert.True(waited < 5, $"the outcomes were recorded {waited:0.0} s after the first attempt began");
    }, recordLinger: "00:00:10");

    [Theory]
    [InlineData("Linger", "-00:00:01")]
    [InlineData("Linger", "00:00:11")]
    [InlineData("Linger", "soon")]
    [InlineData("RecordLinger", "-00:00:01")]
    [InlineData("RecordLinger", "00:00:11")]
    [InlineData("RecordLinger", "soon")]
    public async Task A_linger_outside_0_to_10_seconds_or_not_a_time_stops_the_start_naming_the_setting(string setting, string linger) =>
        Assert.Contains($"Notification:Delivery:{setting}",
            await ServiceProcess.OutputOfRefusedStartAsync("Notification", new Dictionary<string, string> { [$"Notification__Delivery__{setting}"] = linger }),
            StringComparison.Ordinal);

    /// <summary>
    /// Runs <paramref name="test"/> against a service whose workers are woken only by new deliveries (the poll is a minute),
    /// whose one claim can hold all of a test's deliveries, and whose claims are recorded; then stops it and all it started.
    /// </summary>
    private static async Task WithServiceAsync(string linger, Func<NotificationService, Task> test, string recordLinger = "00:00:00.050")
    {
        var service = new NotificationService
        {
            Extra = new Dictionary<string, string>
            {
                ["Notification__Delivery__Linger"] = linger,
                ["Notification__Delivery__RecordLinger"] = recordLinger,
                ["Notification__Delivery__PollInterval"] = "00:01:00",
                ["Notification__Delivery__BatchSize"] = "16",
            },
        };
        try
        {
            await service.InitializeAsync();
            await RecordClaimsAsync(service);
            await test(service);
        }
        finally
        {
            await service.DisposeAsync();
        }
    }

    private static async Task<IReadOnlyList<string>> SentReceiptsAsync(NotificationService service, IEnumerable<Contracts.Intake.ComplaintReceived> complaints)
    {
        var ids = new List<string>();
        foreach (var complaint in complaints)
            ids.Add((await service.WaitForNotificationAsync(complaint.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent",
                "the receipt is sent")).GetProperty("id").GetString()!);
        return ids;
    }

    /// <summary>Records every claim of a delivery from now on; the trigger runs as its owner, the test's login.</summary>
    private static async Task RecordClaimsAsync(NotificationService service)
    {
        await using var connection = await TestDatabase.OpenAsync(service.Schema);
        await connection.ExecuteAsync(
            $"""
            create table test_claims (delivery_id uuid not null, claim_id uuid not null);
            create function test_record_claim() returns trigger language plpgsql security definer as $$
            begin
                insert into {service.Schema}.test_claims (delivery_id, claim_id) values (new.id, new.claim_id);
                return new;
            end $$;
            create trigger test_claims after update on deliveries for each row
                when (new.claim_id is not null and new.claim_id is distinct from old.claim_id) execute function test_record_claim();
            """);
    }
}
