using Accountability.Messaging.Outbox;
using Accountability.Messaging.Relay;
using Accountability.TestSupport;
using Accountability.TestSupport.Messages;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Accountability.Messaging.Tests;

public sealed class OutboxTests
{
    [Fact]
    public async Task A_domain_write_and_its_outbox_row_commit_together_and_a_rollback_publishes_nothing()
    {
        await using var host = await MessagingTestHost.StartAsync();

        var rolledBack = await host.WriteWorkItemAsync(commit: false);
        var committed = await host.WriteWorkItemAsync(commit: true);

        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(committed), "the committed message is delivered");
        Assert.Equal(1, await host.CountAsync("select count(*) from work_items"));
        Assert.Equal(1, await host.CountAsync("select count(*) from outbox"));
        Assert.Equal(0, await host.CountAsync("select count(*) from work_items where work_id = @rolledBack", new { rolledBack }));
        // The relay drains in seq order, so once the later write is through, nothing older is still coming.
        Assert.False(host.Log.Deliveries.ContainsKey(rolledBack));
        Assert.Equal(1, (await host.EffectsOnceAppliedAsync(committed))[committed]);
    }

    [Fact]
    public async Task A_published_row_is_marked_with_its_time_and_not_published_again()
    {
        await using var host = await MessagingTestHost.StartAsync();

        var workId = await host.WriteWorkItemAsync();

        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from outbox where published_at is not null") == 1,
            "the outbox row is marked published");
        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(workId), "the message is delivered");
        var second = await host.WriteWorkItemAsync();
        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(second), "a later message is delivered");
        Assert.Equal(1, host.Log.Deliveries[workId]);
    }

    [Fact]
    public async Task An_event_committed_while_the_broker_is_down_is_delivered_when_it_returns_without_a_restart()
    {
        await using var broker = BrokerLink.Start();
        await using var host = await MessagingTestHost.StartAsync(rabbitMqUri: broker.AmqpUri);
        var before = await host.WriteWorkItemAsync();
        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(before), "the bus works before the outage");

        Guid during;
        broker.Cut();
        try
        {
            during = await host.WriteWorkItemAsync();
            // The relay tries, times out and records the failure; the row waits.
            await Eventually.HoldsAsync(async () => await host.CountAsync(
                    "select count(*) from outbox where published_at is null and attempts > 0") == 1,
                "the relay has tried and failed while the broker is down");
        }
        finally
        {
            broker.Restore();
        }

        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(during),
            "the message committed during the outage is delivered after it", TimeSpan.FromSeconds(90));
        Assert.Equal(1, (await host.EffectsOnceAppliedAsync(during))[during]);
        Assert.Equal(0, await host.CountAsync("select count(*) from outbox where published_at is null"));
    }

    [Fact]
    public async Task A_broker_slower_than_the_publish_timeout_slows_the_relay_down_and_it_comes_back_to_the_setting_once_the_broker_is_quick()
    {
        await using var broker = BrokerLink.Start();
        await using var host = await MessagingTestHost.StartAsync(rabbitMqUri: broker.AmqpUri,
            settings: new Dictionary<string, string?> { ["Messaging:PublishTimeout"] = "00:00:00.500" });
        var relay = host.Services.GetServices<IHostedService>().OfType<OutboxRelay>().Single();
        var before = await host.WriteWorkItemAsync();
        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(before), "the bus works before the broker turns slow");

        // From now on no confirm comes sooner than 800 ms after its publish: later than the 500 ms the relay is told to
        // wait. The first timeout closes the publish channel, and a new one takes several such round trips (open,
        // confirm mode, the exchanges) before it sends anything, so a relay that always waited 500 ms would never
        // send another message.
        broker.Latency = TimeSpan.FromMilliseconds(400);
        var whileSlow = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            whileSlow.Add(await host.WriteWorkItemAsync());
            // Pacing, not waiting: rows written over two seconds land in batches after the first timeout, on new channels.
            await Task.Delay(100);
        }

        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from outbox where published_at is null") == 0,
            "the broker has confirmed every row written while it is slow", TimeSpan.FromSeconds(120));
        var effects = await host.EffectsOnceAppliedAsync([.. whileSlow]);
        Assert.All(whileSlow, id => Assert.Equal(1, effects[id]));
        Assert.True(await host.CountAsync("select count(*) from outbox where attempts > 1") > 0, "some publish timed out and was tried again");
        Assert.True(relay.PublishTimeout > TimeSpan.FromMilliseconds(800),
            $"the relay waits longer than the broker's round trip while it is slow, not {relay.PublishTimeout}");

        broker.Latency = TimeSpan.Zero;
        await Eventually.HoldsAsync(async () =>
        {
            await host.WriteWorkItemAsync();
            return relay.PublishTimeout == TimeSpan.FromMilliseconds(500);
        }, "the relay waits as long as its setting says once the broker is quick again", TimeSpan.FromSeconds(60));
        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from outbox where published_at is null") == 0,
            "the relay has published every outbox row");
    }

    [Fact]
    public async Task A_row_whose_type_no_longer_exists_is_set_aside_visibly_and_does_not_block_the_others()
    {
        await using var host = await MessagingTestHost.StartAsync();
        await using (var connection = await host.Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "insert into outbox (message_id, message_type, body) values (@id, 'Nowhere.Gone, Nowhere', '{}')",
                new { id = Guid.NewGuid() });
        }
        var after = await host.WriteWorkItemAsync();

        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(after), "later rows still flow");
        // The mark commits with the batch, a moment after the broker already delivered its neighbour.
        await Eventually.HoldsAsync(async () => await host.CountAsync(
                "select count(*) from outbox where failed_at is not null and last_error like 'Unknown message type%'") == 1,
            "the unknown row is set aside with its reason");
        Assert.Equal(0, await host.CountAsync("select count(*) from outbox where published_at is null and failed_at is null"));
    }

    [Fact]
    public async Task The_outbox_row_carries_the_producers_trace_parent()
    {
        await using var host = await MessagingTestHost.StartAsync(relay: false);
        using var listener = new SpanRecorder();
        using var producer = SpanRecorder.TestSource.StartActivity("produce");

        await using var connection = await host.Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await OutboxWriter.EnqueueAsync(transaction, new WorkItemDone { WorkId = Guid.NewGuid(), Run = host.Run });
        await transaction.CommitAsync();

        var traceParent = await connection.ExecuteScalarAsync<string>("select headers->>'traceparent' from outbox");
        Assert.Equal(producer!.Id, traceParent);
    }

    [Fact]
    public async Task Messages_of_several_producers_written_in_one_statement_each_carry_their_own_producers_trace_in_order()
    {
        await using var host = await MessagingTestHost.StartAsync(relay: false);
        using var listener = new SpanRecorder();
        using var first = SpanRecorder.TestSource.StartActivity("first producer");
        first!.Stop();
        using var second = SpanRecorder.TestSource.StartActivity("second producer");
        second!.Stop();
        var work = Enumerable.Range(0, 3).Select(_ => new WorkItemDone { WorkId = Guid.NewGuid(), Run = host.Run }).ToList();

        await using var connection = await host.Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await OutboxWriter.EnqueueAllAsync(transaction, [(work[0], first), (work[1], second), (work[2], null)]);
        await transaction.CommitAsync();

        var rows = (await connection.QueryAsync<(string WorkId, string? TraceParent)>(
            "select body->>'workId', headers->>'traceparent' from outbox order by seq")).ToList();
        Assert.Equal([(work[0].WorkId.ToString(), first.Id), (work[1].WorkId.ToString(), second.Id), (work[2].WorkId.ToString(), null)], rows);
    }
}
