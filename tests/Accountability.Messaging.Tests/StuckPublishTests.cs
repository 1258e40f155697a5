using System.Diagnostics;
using Accountability.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Accountability.Messaging.Tests;

/// <summary>
/// The watchdog's rule for the send side: a relay every batch of which has had a publish time out for longer than
/// Messaging:StuckEndpointExitAfter ends its process, but only while a fresh connection gets a publish confirmed.
/// RabbitMQ.Client 7.2.2 can leave a channel stuck for good after the node under its connection vanished
/// (rabbitmq-dotnet-client#1930); `BrokerNodeLossTests` stalled so in about one fresh-clone run in three. That
/// stall could not be produced on demand, so here the relay's own connection goes silent for longer than the
/// allowance (its heartbeat notices only after two minutes) while new connections pass. The relay runs in a process
/// of its own, because the remedy is that process's exit; the test is its supervisor.
/// </summary>
public sealed class StuckPublishTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Messaging:StuckEndpointExitAfter"] = "00:00:10",
        ["Messaging:PublishTimeout"] = "00:00:02",
        // A silent connection is noticed after two missed heartbeats: two minutes, far past the allowance.
        ["RabbitMq:HeartbeatSeconds"] = "60",
    };

    [Fact]
    public async Task A_relay_whose_publishes_go_unanswered_while_a_fresh_connection_can_publish_exits_with_status_1_and_the_next_one_publishes_every_row_once()
    {
        await using var broker = BrokerLink.Start();
        await using var consumer = await MessagingTestHost.StartAsync(relay: false);
        var written = new List<Guid>();
        using var first = await RelayThroughAsync(broker, consumer, written);

        broker.Freeze();
        await WriteMoreAsync(consumer, written);
        var clock = Stopwatch.StartNew();
        await ExitedAsync(first, consumer, TimeSpan.FromSeconds(90));
        output.WriteLine($"the first relay exited {clock.Elapsed.TotalSeconds:0} s after its connection went silent, with status {first.ExitCode}");
        Assert.True(first.ExitCode == 1, $"exit status {first.ExitCode}; its last output: {first.LastOutput}");
        Assert.True(first.LoggedCritical("Every batch of the outbox relay has had a publish time out"), $"it says why; its last output: {first.LastOutput}");

        // The supervisor starts the next process, whose new connection passes.
        using var second = RelayProcess.Start(consumer.Schema, batchSize: 100, broker.AmqpUri, Settings);
        var effects = await Eventually.ReturnsAsync(consumer.EffectsAsync, e => written.All(e.ContainsKey),
            "every work item is applied once the next relay runs", TimeSpan.FromSeconds(60));
        Assert.All(written, id => Assert.Equal(1, effects[id]));
        await Eventually.HoldsAsync(async () => await consumer.CountAsync("select count(*) from outbox where published_at is null") == 0,
            "the next relay has published every outbox row");
        Assert.False(second.HasExited, second.HasExited ? second.LastOutput : "");
    }

    [Fact]
    public async Task A_relay_whose_publishes_go_unanswered_because_no_connection_reaches_the_broker_keeps_running_and_publishes_once_it_is_back()
    {
        await using var broker = BrokerLink.Start();
        await using var consumer = await MessagingTestHost.StartAsync(relay: false);
        var written = new List<Guid>();
        using var relay = await RelayThroughAsync(broker, consumer, written);

        // An outage, not this process's fault: its connection goes silent and no new one gets through either.
        broker.Freeze();
        broker.Cut();
        await WriteMoreAsync(consumer, written);
        // Its publishes time out meanwhile, for three times the allowance (looked at every 5 s).
        await Eventually.HoldsAsync(async () => await consumer.CountAsync(
                "select count(*) from outbox where published_at is null and last_error like 'Publish timed out%'") > 0,
            "the relay's publishes time out during the outage");
        await Task.Delay(TimeSpan.FromSeconds(30));
        Assert.False(relay.HasExited, relay.HasExited ? $"it exited with {relay.ExitCode}: {relay.LastOutput}" : "");

        broker.Restore();
        Dictionary<Guid, int> effects;
        try
        {
            effects = await Eventually.ReturnsAsync(consumer.EffectsAsync, e => written.All(e.ContainsKey),
                "every work item is applied once the broker is back", TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException stalled)
        {
            throw new TimeoutException($"{stalled.Message}; exited: {relay.HasExited}; oldest error: {await consumer.OldestOutboxErrorAsync()}; " +
                $"its last output: {relay.LastOutput}", stalled);
        }
        Assert.All(written, id => Assert.Equal(1, effects[id]));
        Assert.False(relay.HasExited, relay.HasExited ? $"it exited with {relay.ExitCode}: {relay.LastOutput}" : "");
    }

    /// <summary>
    /// A relay process that reaches the broker through <paramref name="broker"/>, once it has published a first item.
    /// The consumer reaches the broker directly: only the relay's path is ever cut or silenced.
    /// </summary>
    private static async Task<RelayProcess> RelayThroughAsync(BrokerLink broker, MessagingTestHost consumer, List<Guid> written)
    {
        written.Add(await consumer.WriteWorkItemAsync());
        var relay = RelayProcess.Start(consumer.Schema, batchSize: 100, broker.AmqpUri, Settings);
        try
        {
            await consumer.EffectsOnceAppliedAsync([.. written]);
            // Its receive endpoint has started too (the directory's queue has both hosts' consumers): an endpoint still
            // starting when the path goes silent would end the process by the watchdog's other rule.
            var directoryQueue = BrokerNames.Queue(consumer.Schema, "people-in-force");
            var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
            await using var connection = await factory.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            await Eventually.HoldsAsync(async () => (await channel.QueueDeclarePassiveAsync(directoryQueue)).ConsumerCount >= 2,
                "the relay process's receive endpoint has started", TimeSpan.FromSeconds(60));
            return relay;
        }
        catch
        {
            relay.Dispose();
            throw;
        }
    }

    private static async Task WriteMoreAsync(MessagingTestHost consumer, List<Guid> written)
    {
        for (var i = 0; i < 20; i++)
            written.Add(await consumer.WriteWorkItemAsync());
    }

    private static async Task ExitedAsync(RelayProcess relay, MessagingTestHost consumer, TimeSpan within)
    {
        try
        {
            await Eventually.HoldsAsync(() => relay.HasExited, "the relay's watchdog ends its process", within);
        }
        catch (TimeoutException stalled)
        {
            throw new TimeoutException($"{stalled.Message}; " +
                $"{await consumer.CountAsync("select count(*) from outbox where published_at is null")} rows unpublished; its last output: {relay.LastOutput}", stalled);
        }
    }
}
