using System.Diagnostics;
using Accountability.TestSupport;
using RabbitMQ.Client;
using Xunit;

namespace Accountability.Messaging.Tests;

public sealed class PoisonAndTraceTests
{
    [Fact]
    public async Task A_poison_message_lands_in_the_error_queue_after_the_retries_and_the_consumer_keeps_serving()
    {
        await using var host = await MessagingTestHost.StartAsync(retryLimit: 2);

        var poison = await host.WriteWorkItemAsync(poison: true);
        var healthy = new List<Guid>();
        for (var i = 0; i < 5; i++)
            healthy.Add(await host.WriteWorkItemAsync());

        await Eventually.HoldsAsync(async () => await ErrorQueueDepthAsync(host.QueueName) == 1,
            "the poison message waits in the error queue");
        await Eventually.HoldsAsync(() => healthy.All(host.Log.Deliveries.ContainsKey), "the healthy messages are processed");

        // One delivery plus two retries, and then no more: it does not loop.
        Assert.Equal(3, host.Log.Deliveries[poison]);
        var effects = await host.EffectsOnceAppliedAsync([.. healthy]);
        Assert.False(effects.ContainsKey(poison));
        Assert.All(healthy, id => Assert.Equal(1, effects[id]));

        var another = await host.WriteWorkItemAsync();
        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(another), "still serving afterwards");
        Assert.Equal(3, host.Log.Deliveries[poison]);
        Assert.Equal(1u, await ErrorQueueDepthAsync(host.QueueName));
    }

    [Fact]
    public async Task A_message_published_through_the_outbox_carries_the_producers_trace_to_the_consumer()
    {
        using var spans = new SpanRecorder();
        await using var host = await MessagingTestHost.StartAsync();

        Guid workId;
        ActivityContext producer;
        using (var produce = SpanRecorder.TestSource.StartActivity("file complaint"))
        {
            producer = produce!.Context;
            workId = await host.WriteWorkItemAsync();
        }

        await Eventually.HoldsAsync(() => host.Log.TraceIds.ContainsKey(workId), "the consumer ran");
        Assert.Equal(producer.TraceId, host.Log.TraceIds[workId]);

        // The relay's span is the producer's child, and the consumer's span descends from it. The consumer can run
        // before the relay's span ends (it ends once the broker confirmed), so wait for it.
        await Eventually.HoldsAsync(() => spans.Stopped.Any(s => s.Source.Name == "Accountability.Messaging" && s.TraceId == producer.TraceId),
            "the relay's span ended");
        var relay = Assert.Single(spans.Stopped, s => s.Source.Name == "Accountability.Messaging" && s.TraceId == producer.TraceId);
        Assert.Equal(producer.SpanId, relay.ParentSpanId);
        await Eventually.HoldsAsync(() => spans.Stopped.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer && s.TraceId == producer.TraceId),
            "a MassTransit consumer span in the producer's trace");
    }

    private static async Task<uint> ErrorQueueDepthAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            var declared = await channel.QueueDeclarePassiveAsync($"{queue}_error");
            return declared.MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // not created yet: MassTransit creates it on the first fault
        }
    }
}
