using System.Collections.Concurrent;
using System.Diagnostics;
using Accountability.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Accountability.Messaging.Tests;

/// <summary>
/// A service wired as every service is (outbox, relay, inbox, quorum queues) against a three-node RabbitMQ cluster
/// of containers (<see cref="RabbitMqCluster"/>), told every node with RabbitMq:ClusterNodes. Its consumer runs in
/// a host here; its relay runs in a process of its own, which the test supervises as Kubernetes would: the relay's
/// watchdog ends a process whose publishes stay stuck after the node under its connection is lost
/// (rabbitmq-dotnet-client#1930, <see cref="StuckPublishTests"/>), and a fresh one takes over.
/// </summary>
public sealed class BrokerNodeLossTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_service_connected_to_every_node_keeps_processing_each_message_exactly_once_when_the_node_leading_its_queue_is_killed_and_after_it_returns()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await RabbitMqCluster.StartAsync();
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: three nodes clustered ({cluster.ClusterNodes})");
        await using var host = await MessagingTestHost.StartAsync(relay: false, rabbitMqUri: cluster.AmqpUri, settings: new Dictionary<string, string?>
        {
            ["RabbitMq:ClusterNodes"] = cluster.ClusterNodes,
            ["RabbitMq:QuorumQueues"] = "true",
        });
        using var relay = new SupervisedRelay(host.Schema, cluster);

        // A steady stream of work, written through the outbox while the broker loses a node.
        var written = new ConcurrentQueue<Guid>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                written.Enqueue(await host.WriteWorkItemAsync());
                await Task.Delay(20, CancellationToken.None);
            }
        });

        await Eventually.HoldsAsync(async () => (await host.EffectsAsync()).Count >= 50, "the stream flows before the fault");
        var leader = await cluster.LeaderOfAsync(host.QueueName);
        await cluster.KillAsync(leader);
        var killedAt = clock.Elapsed;
        var writtenBeforeKill = written.Count;
        output.WriteLine($"{killedAt.TotalSeconds:0.0} s: killed {leader.Name}, the leader of {host.QueueName}, after {writtenBeforeKill} items written");

        // The queue elects a leader among the two nodes left, and the stream goes on through them.
        var newLeader = (await Eventually.ReturnsAsync(() => cluster.TryLeaderOfAsync(host.QueueName), n => n is not null && n != leader,
            "a surviving node leads the queue", TimeSpan.FromSeconds(60)))!;
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {newLeader.Name} leads the queue");
        await Eventually.HoldsAsync(() => written.Count >= writtenBeforeKill + 100, "more work is written after the kill", TimeSpan.FromSeconds(60));
        var afterKill = written.Skip(writtenBeforeKill + 50).Take(50).ToArray();
        // Within the relay watchdog's allowance and a fresh process's start, should its publishes stick.
        await WithStateOnTimeoutAsync(host, relay, () => cluster.DescribeAsync(newLeader, host.QueueName), () => Eventually.HoldsAsync(async () => afterKill.All((await host.EffectsAsync()).ContainsKey),
            "work written after the kill is processed", TimeSpan.FromSeconds(180)));
        // The service's connections (the bus's, the readiness probe's) are on the nodes left.
        // (The management API lists connections from statistics each node sends every few seconds, so just after a
        // node's loss the list may still be empty: asked until it is not.)
        var connectedTo = await Eventually.ReturnsAsync(() => cluster.ConnectionNodesAsync(newLeader), c => c.Count > 0,
            "the management API lists the service's connections", TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(leader.Name, connectedTo);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: work written after the kill is processed; connections on {string.Join(", ", connectedTo.Distinct())}");

        await cluster.RestartAsync(leader);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {leader.Name} runs in the cluster again");
        var writtenBeforeReturn = written.Count;
        await Eventually.HoldsAsync(() => written.Count >= writtenBeforeReturn + 50, "more work is written after the node returns", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await writer;

        var all = written.ToArray();
        var effects = await Eventually.ReturnsAsync(host.EffectsAsync, e => all.All(e.ContainsKey),
            "every work item written is processed", TimeSpan.FromSeconds(120));
        Assert.Equal(all.Length, effects.Count);
        Assert.All(all, id => Assert.Equal(1, effects[id]));
        // Nothing stranded in the outbox, and the inbox saw every redelivery as the duplicate it was.
        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from outbox where published_at is null") == 0,
            "the relay has published every outbox row");
        Assert.True(host.Log.Total >= all.Length);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {all.Length} items written, each applied once; {host.Log.Total} deliveries " +
            $"({host.Log.Total - all.Length} duplicates dropped by the inbox); the relay's process was replaced {relay.Restarts} time(s)");
        Assert.NotEqual(leader, newLeader);
        Assert.Equal(3, (await cluster.RunningNodesAsync(newLeader)).Count);
    }

    /// <summary>A stall says where the work stopped: in the outbox (the publish side) or after it (the consumer).</summary>
    private static async Task WithStateOnTimeoutAsync(MessagingTestHost host, SupervisedRelay relay, Func<Task<string>> describeBroker, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (TimeoutException stalled)
        {
            var unpublished = await host.CountAsync("select count(*) from outbox where published_at is null");
            var lastError = await host.CountAsync("select count(*) from outbox where published_at is null and last_error is not null");
            var health = host.Services.GetRequiredService<MassTransit.IBusControl>().CheckHealth();
            var oldestError = await host.OldestOutboxErrorAsync();
            throw new TimeoutException($"{stalled.Message}; {unpublished} outbox rows unpublished ({lastError} with an error; the oldest: {oldestError ?? "none"}); " +
                $"{host.Log.Total} deliveries; the bus is {health.Status}: {health.Description}; {await describeBroker()}; " +
                $"the host's last warnings and errors: {string.Join(" | ", host.RecentLogs.Lines)}; " +
                $"the relay's process was replaced {relay.Restarts} time(s), and the current one's last output: {relay.Current.LastOutput}", stalled);
        }
    }

    /// <summary>The service's relay in a process of its own, started again whenever it ends, as its Deployment would.</summary>
    private sealed class SupervisedRelay : IDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private readonly Task supervising;
        private volatile RelayProcess current;
        private int restarts;

        public SupervisedRelay(string schema, RabbitMqCluster cluster)
        {
            var settings = new Dictionary<string, string>
            {
                ["RabbitMq:ClusterNodes"] = cluster.ClusterNodes,
                ["RabbitMq:QuorumQueues"] = "true",
                ["Messaging:PublishTimeout"] = "00:00:02",
                ["Messaging:StuckEndpointExitAfter"] = "00:00:30",
            };
            current = RelayProcess.Start(schema, batchSize: 100, cluster.AmqpUri, settings);
            supervising = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    if (current.HasExited)
                    {
                        current.Dispose();
                        current = RelayProcess.Start(schema, batchSize: 100, cluster.AmqpUri, settings);
                        Interlocked.Increment(ref restarts);
                    }
                    await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                }
            });
        }

        public RelayProcess Current => current;

        public int Restarts => Volatile.Read(ref restarts);

        public void Dispose()
        {
            stop.Cancel();
            supervising.Wait(TimeSpan.FromSeconds(10));
            current.Dispose();
            stop.Dispose();
        }
    }
}
