using Accountability.Messaging.Relay;
using Accountability.TestSupport;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Accountability.Messaging.Tests;

public sealed class RelayTests
{
    [Fact]
    public async Task A_relay_killed_in_the_middle_of_a_batch_loses_nothing_and_the_inbox_absorbs_the_duplicates()
    {
        // The consumer runs here; the only relay is a separate process that we kill.
        await using var host = await MessagingTestHost.StartAsync(relay: false);
        const int count = 3000;
        var written = new List<Guid>();
        for (var i = 0; i < count; i++)
            written.Add(await host.WriteWorkItemAsync());

        // One batch holds every row, and the kill comes before that batch can commit: the test holds a SHARE lock on
        // the outbox, which lets the relay claim its rows (FOR UPDATE) and publish them but not mark them published.
        // So nothing has been marked yet, and whatever the broker already took will come again. (Without the lock, a
        // relay on a loaded machine once published and committed the whole batch before the first delivery was seen.)
        await using (var blocker = await host.Database.OpenConnectionAsync())
        await using (var holdMarks = await blocker.BeginTransactionAsync())
        {
            await blocker.ExecuteAsync("lock table outbox in share mode", transaction: holdMarks);
            using var first = RelayProcess.Start(host.Schema, batchSize: count);
            await Eventually.HoldsAsync(() => host.Log.Total > 0, "the first relay has published part of the batch", TimeSpan.FromSeconds(60));
            first.KillHard();
        }
        var deliveredBeforeKill = host.Log.Total;
        Assert.True(deliveredBeforeKill < count, $"the kill came after the whole batch ({deliveredBeforeKill} delivered)");
        Assert.Equal(count, await host.CountAsync("select count(*) from outbox where published_at is null"));

        using var second = RelayProcess.Start(host.Schema, batchSize: 500);
        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from effects") == count,
            "every work item's effect is applied after the second relay ran", TimeSpan.FromSeconds(120));
        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from outbox where published_at is null") == 0,
            "the second relay marks everything published");

        var effects = await host.EffectsAsync();
        Assert.All(written, id => Assert.Equal(1, effects[id]));
        Assert.True(host.Log.Total > count, "the kill produced redeliveries, which the inbox absorbed");
    }

    [Fact]
    public async Task Two_relays_draining_one_outbox_lose_nothing_and_publish_nothing_twice()
    {
        await using var host = await MessagingTestHost.StartAsync(relay: false);
        const int count = 1000;
        var written = new List<Guid>();
        for (var i = 0; i < count; i++)
            written.Add(await host.WriteWorkItemAsync());

        var relay = ActivatorUtilities.CreateInstance<OutboxRelay>(host.Services);
        var settings = new MessagingOptions { RelayBatchSize = 25 };
        var claimedBy = new int[2];
        await Task.WhenAll(Enumerable.Range(0, 2).Select(index => Task.Run(async () =>
        {
            // Two independent drain loops on separate connections: SKIP LOCKED must split the rows.
            while (await relay.RelayBatchAsync(settings, CancellationToken.None) is var claimed and > 0)
                Interlocked.Add(ref claimedBy[index], claimed);
        })));

        Assert.Equal(count, claimedBy.Sum());
        Assert.All(claimedBy, claimed => Assert.True(claimed > 0, "both relays took part"));
        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from effects") == count, "every effect is applied");
        var effects = await host.EffectsAsync();
        Assert.All(written, id => Assert.Equal(1, effects[id]));
        Assert.All(written, id => Assert.Equal(1, host.Log.Deliveries[id]));
    }

    [Fact]
    public async Task A_relay_wakes_on_notify_without_waiting_for_the_poll()
    {
        // A poll this long never fires during the test: only NOTIFY can get the messages out.
        await using var host = await MessagingTestHost.StartAsync(pollInterval: TimeSpan.FromHours(1));

        for (var i = 0; i < 3; i++)
        {
            var workId = await host.WriteWorkItemAsync();
            await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(workId), $"message {i} delivered through NOTIFY");
        }
    }
}
