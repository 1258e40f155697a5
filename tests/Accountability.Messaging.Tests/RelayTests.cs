using Accountability.Messaging.Outbox;
using Accountability.Messaging.Relay;
using Accountability.TestSupport;
using Accountability.TestSupport.Messages;
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

        // The second relay published every row again, so every copy the first had published comes twice. The first may have
        // published the whole batch before the kill (only its marks were held), and then the effects were all applied before
        // the second relay's copies arrived: wait for those copies, and only then look at the effects.
        await Eventually.HoldsAsync(() => host.Log.Total >= count + deliveredBeforeKill,
            "the kill produced redeliveries: the second relay's copy of each row arrives too", TimeSpan.FromSeconds(120));
        var effects = await host.EffectsAsync();
        Assert.All(written, id => Assert.Equal(1, effects[id])); // the inbox absorbed every duplicate
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
    public async Task A_relay_is_woken_by_its_own_process_writes_without_the_poll_and_without_a_notify_that_would_wake_every_listener()
    {
        // A poll this long never fires during the test: only the in-process wake-up can get the messages out.
        await using var host = await MessagingTestHost.StartAsync(pollInterval: TimeSpan.FromHours(1));
        // A listener of the schema's channel, as the relay of a process without this one's would be.
        await using var listener = await ChannelListener.StartAsync(host.Database.OutboxChannel);

        for (var i = 0; i < 3; i++)
        {
            var workId = await host.WriteWorkItemAsync();
            await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(workId), $"message {i} delivered, woken in the process");
        }

        // A NOTIFY issued with the commits would have arrived by now: the deliveries came after them.
        Assert.Equal(0, await listener.NotifiedAfterAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task A_row_written_by_a_session_of_another_process_still_wakes_the_relay_through_notify()
    {
        await using var host = await MessagingTestHost.StartAsync(pollInterval: TimeSpan.FromHours(1));

        // A tool's session: the service's login and schema, but not its process, so it asks for no notice.
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString) { SearchPath = host.Schema };
        for (var i = 0; i < 2; i++)
        {
            var workId = Guid.NewGuid();
            await using (var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString))
            {
                await connection.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await connection.ExecuteAsync("insert into work_items (work_id) values (@workId)", new { workId }, transaction);
                await OutboxWriter.EnqueueAsync(transaction, new WorkItemDone { WorkId = workId, Run = host.Run });
                await transaction.CommitAsync();
            }
            await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(workId), $"message {i} delivered through NOTIFY");
        }
    }

    [Fact]
    public async Task A_write_that_rolls_back_wakes_the_relay_for_nothing_and_publishes_nothing()
    {
        await using var host = await MessagingTestHost.StartAsync(pollInterval: TimeSpan.FromHours(1));

        var rolledBack = await host.WriteWorkItemAsync(commit: false);
        var committed = await host.WriteWorkItemAsync();

        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(committed), "the committed message is delivered");
        Assert.False(host.Log.Deliveries.ContainsKey(rolledBack));
        // The relay marks a row published after the broker's confirm, which can come after the consumer already has the
        // message (a fresh-clone CI run saw the row a moment before its mark): nothing may stay unpublished.
        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from outbox where published_at is null") == 0,
            "no row of the outbox is left unpublished");
    }

    [Fact]
    public async Task A_write_committed_after_the_process_relay_has_stopped_is_announced_to_the_other_instances_relays()
    {
        await using var host = await MessagingTestHost.StartAsync(pollInterval: TimeSpan.FromHours(1));
        await using var listener = await ChannelListener.StartAsync(host.Database.OutboxChannel);
        // The process is shutting down: its relay stops first, while a consumer may still commit.
        await host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<OutboxRelay>().Single().StopAsync(CancellationToken.None);

        await host.WriteWorkItemAsync();

        await Eventually.HoldsAsync(async () => await listener.NotifiedAfterAsync(TimeSpan.FromMilliseconds(200)) > 0,
            "a NOTIFY on the schema's channel, for another instance's relay", TimeSpan.FromSeconds(10));
    }

    /// <summary>A session listening on one channel, counting the notifications it hears.</summary>
    private sealed class ChannelListener : IAsyncDisposable
    {
        private readonly Npgsql.NpgsqlConnection connection;
        private int notified;

        private ChannelListener(Npgsql.NpgsqlConnection connection)
        {
            this.connection = connection;
            connection.Notification += (_, _) => Interlocked.Increment(ref notified);
        }

        public static async Task<ChannelListener> StartAsync(string channel)
        {
            var connection = new Npgsql.NpgsqlConnection(TestEnvironment.PostgresConnectionString);
            await connection.OpenAsync();
            await using var listen = new Npgsql.NpgsqlCommand($"listen \"{channel}\"", connection);
            await listen.ExecuteNonQueryAsync();
            return new ChannelListener(connection);
        }

        /// <summary>Reads what has arrived, waiting up to <paramref name="wait"/> for more; returns how many so far.</summary>
        public async Task<int> NotifiedAfterAsync(TimeSpan wait)
        {
            await connection.WaitAsync(wait);
            return Volatile.Read(ref notified);
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
