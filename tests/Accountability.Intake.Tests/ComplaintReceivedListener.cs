using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Accountability.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Accountability.Intake.Tests;

/// <summary>
/// Our own queue bound to MassTransit's exchange for ComplaintReceived: the messages exactly as any
/// other service receives them, MassTransit envelope included.
/// </summary>
public sealed class ComplaintReceivedListener : IAsyncDisposable
{
    public const string Exchange = "Accountability.Contracts.Intake:ComplaintReceived";

    private readonly IConnection connection;
    private readonly IChannel channel;
    private readonly ConcurrentQueue<string> bodies = new();

    private ComplaintReceivedListener(IConnection connection, IChannel channel)
    {
        this.connection = connection;
        this.channel = channel;
    }

    public static async Task<ComplaintReceivedListener> StartAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
        var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        // Declared as MassTransit declares it, so whichever side comes first, the other finds it compatible.
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, Exchange, "");
        var listener = new ComplaintReceivedListener(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            listener.bodies.Enqueue(Encoding.UTF8.GetString(delivery.Body.Span));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return listener;
    }

    /// <summary>The raw envelope text and the message inside it, for one case.</summary>
    public async Task<(string Raw, JsonElement Message)> WaitForCaseAsync(Guid caseId)
    {
        (string, JsonElement)? found = null;
        await Eventually.HoldsAsync(() =>
        {
            foreach (var body in bodies)
            {
                var envelope = JsonDocument.Parse(body).RootElement;
                var message = envelope.GetProperty("message");
                if (message.GetProperty("caseId").GetGuid() == caseId)
                {
                    found = (body, message.Clone());
                    return true;
                }
            }
            return false;
        }, $"ComplaintReceived for case {caseId} arrives on {Exchange}");
        return found!.Value;
    }

    public async ValueTask DisposeAsync()
    {
        await channel.CloseAsync();
        await connection.CloseAsync();
    }
}
