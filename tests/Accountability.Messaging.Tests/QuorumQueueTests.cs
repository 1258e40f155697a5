using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Accountability.TestSupport;
using RabbitMQ.Client;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>
/// RabbitMq:QuorumQueues=true against the real broker (one node: quorum queues work there too), each test in a
/// virtual host of its own, so "every queue" means this host's queues only.
/// </summary>
public sealed class QuorumQueueTests
{
    [Fact]
    public async Task With_quorum_queues_every_durable_queue_and_its_error_and_skipped_queues_are_quorum_queues_and_a_poison_message_waits_in_the_error_queue()
    {
        await using var vhost = await IsolatedVirtualHost.CreateAsync("quorum");
        await using var host = await MessagingTestHost.StartAsync(retryLimit: 2, rabbitMqUri: vhost.AmqpUri, settings: QuorumSettings(deliveryLimit: 5));

        // Declared with the endpoint: the receive queue with its limit and dead-letter route, and its error queue before any fault.
        var queues = await QueuesAsync(vhost);
        var receive = queues[host.QueueName];
        Assert.Equal("quorum", receive.Type);
        Assert.Equal(5, receive.Arguments["x-delivery-limit"].GetInt32());
        Assert.Equal($"{host.QueueName}_error", receive.Arguments["x-dead-letter-exchange"].GetString());
        Assert.Equal("at-least-once", receive.Arguments["x-dead-letter-strategy"].GetString());
        Assert.Equal("quorum", queues[$"{host.QueueName}_error"].Type);
        // Every durable queue of the host: the directory consumer's too, and no endpoint left classic.
        Assert.Contains(queues.Keys, name => name.EndsWith("-people-in-force", StringComparison.Ordinal));
        Assert.All(queues.Values.Where(q => q.Durable), q => Assert.True(q.Type == "quorum", $"{q.Name} is {q.Type}"));
        Assert.True(queues.Values.Count(q => q.Durable) >= 4, string.Join(", ", queues.Keys));

        var poison = await host.WriteWorkItemAsync(poison: true);
        var healthy = await host.WriteWorkItemAsync();
        await Eventually.HoldsAsync(async () => await vhost.QueueDepthAsync($"{host.QueueName}_error") == 1, "the poison message waits in the error queue");
        await host.EffectsOnceAppliedAsync(healthy);
        // One delivery and two retries inside it, then _error: it does not loop, and MassTransit's error queue accepted
        // the quorum declaration it shares with the endpoint's.
        Assert.Equal(3, host.Log.Deliveries[poison]);

        // A message no consumer of the queue takes goes to _skipped, which MassTransit declares then: quorum too.
        await vhost.PublishRawAsync(host.QueueName, Envelope("urn:message:Nobody:TakesThis"));
        await Eventually.HoldsAsync(async () => await vhost.QueueDepthAsync($"{host.QueueName}_skipped") == 1, "the unknown message waits in _skipped");
        var skipped = (await QueuesAsync(vhost))[$"{host.QueueName}_skipped"];
        Assert.Equal("quorum", skipped.Type);
        Assert.False(skipped.Arguments.ContainsKey("x-dead-letter-exchange"));
        Assert.Equal(1u, await vhost.QueueDepthAsync($"{host.QueueName}_error"));
        Assert.Equal(3, host.Log.Deliveries[poison]);
    }

    [Fact]
    public async Task With_quorum_queues_a_message_the_broker_hands_out_past_the_delivery_limit_is_dead_lettered_into_the_error_queue()
    {
        await using var vhost = await IsolatedVirtualHost.CreateAsync("quorum");
        await using var host = await MessagingTestHost.StartAsync(rabbitMqUri: vhost.AmqpUri, settings: QuorumSettings(deliveryLimit: 2));
        // No consumer of the service's any more: this test is the consumer that takes the message and dies with it.
        await host.StopAsync();

        await vhost.PublishRawAsync(host.QueueName, Encoding.UTF8.GetBytes("""{"crashes":"every consumer"}"""));
        var factory = new ConnectionFactory { Uri = new Uri(vhost.AmqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var deliveries = 0;
        while (deliveries < 10)
        {
            var delivery = await Eventually.ReturnsAsync(
                async () => (Result: await channel.BasicGetAsync(host.QueueName, autoAck: false), Gone: await vhost.QueueDepthAsync($"{host.QueueName}_error") == 1),
                r => r.Result is not null || r.Gone, "the message is back in the queue, or dead-lettered");
            if (delivery.Result is null)
                break;
            deliveries++;
            // What a consumer's death looks like to the queue: the message returns to it.
            await channel.BasicNackAsync(delivery.Result.DeliveryTag, multiple: false, requeue: true);
        }

        // Handed out once plus twice more (the limit), then moved, never dropped and never looping.
        Assert.Equal(3, deliveries);
        Assert.Equal(1u, await vhost.QueueDepthAsync($"{host.QueueName}_error"));
        Assert.Equal(0u, await vhost.QueueDepthAsync(host.QueueName));
        var dead = await channel.BasicGetAsync($"{host.QueueName}_error", autoAck: true);
        Assert.NotNull(dead);
        Assert.Equal("""{"crashes":"every consumer"}""", Encoding.UTF8.GetString(dead.Body.Span));
        Assert.True(dead.BasicProperties.Headers?.ContainsKey("x-death") ?? false, "the broker says why it moved the message");
    }

    private static Dictionary<string, string?> QuorumSettings(int deliveryLimit) => new()
    {
        ["RabbitMq:QuorumQueues"] = "true",
        ["RabbitMq:DeliveryLimit"] = deliveryLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private sealed record QueueInfo(string Name, string Type, bool Durable, Dictionary<string, JsonElement> Arguments);

    private static async Task<Dictionary<string, QueueInfo>> QueuesAsync(IsolatedVirtualHost vhost)
    {
        using var management = IsolatedVirtualHost.ManagementClient(TestEnvironment.RabbitMqUri, TestEnvironment.RabbitMqManagementUri);
        var queues = await management.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(vhost.Name)}?columns=name,type,durable,arguments");
        return queues.EnumerateArray()
            .Select(q => new QueueInfo(
                q.GetProperty("name").GetString()!,
                q.GetProperty("type").GetString()!,
                q.GetProperty("durable").GetBoolean(),
                q.GetProperty("arguments").EnumerateObject().ToDictionary(a => a.Name, a => a.Value.Clone())))
            .ToDictionary(q => q.Name);
    }



    /// <summary>A MassTransit JSON envelope of a message type no consumer here takes.</summary>
    private static byte[] Envelope(string messageType) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["messageId"] = Guid.NewGuid(),
        ["messageType"] = new[] { messageType },
        ["message"] = new { nothing = true },
        ["sentTime"] = DateTime.UtcNow,
    });
}
