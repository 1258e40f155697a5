using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace Accountability.TestSupport;

/// <summary>
/// A RabbitMQ virtual host of a test's own. Whatever the test publishes (a made-up directory, events
/// with odd versions) stays inside it, instead of reaching the services of every other test run.
/// </summary>
public sealed class IsolatedVirtualHost : IAsyncDisposable
{
    private IsolatedVirtualHost(string name) => Name = name;

    public string Name { get; }

    /// <summary>The broker URI with this virtual host, for RabbitMq__Uri.</summary>
    public string AmqpUri => new UriBuilder(TestEnvironment.RabbitMqUri) { Path = "/" + Uri.EscapeDataString(Name) }.Uri.ToString();

    public static async Task<IsolatedVirtualHost> CreateAsync(string prefix)
    {
        var vhost = new IsolatedVirtualHost($"{prefix}-{Guid.NewGuid():N}");
        using var management = Management(out var user);
        (await management.PutAsync($"api/vhosts/{Uri.EscapeDataString(vhost.Name)}", JsonContent.Create(new { }))).EnsureSuccessStatusCode();
        (await management.PutAsync($"api/permissions/{Uri.EscapeDataString(vhost.Name)}/{Uri.EscapeDataString(user)}",
            JsonContent.Create(new { configure = ".*", write = ".*", read = ".*" }))).EnsureSuccessStatusCode();
        return vhost;
    }

    /// <summary>A queue's exact depth (a passive declare), not the management API's sampled figure; 0 while the queue does not exist.</summary>
    public async Task<uint> QueueDepthAsync(string queue)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(AmqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>Declares two durable fanout exchanges and binds <paramref name="source"/> to <paramref name="destination"/>, as MassTransit binds an event's exchange to an endpoint's.</summary>
    public async Task BindFanoutExchangesAsync(string source, string destination)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(AmqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(source, RabbitMQ.Client.ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.ExchangeDeclareAsync(destination, RabbitMQ.Client.ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.ExchangeBindAsync(destination, source, "");
    }

    /// <summary>Declares the durable fanout exchange <paramref name="exchange"/> (a message type's) and a durable queue bound to it.</summary>
    public async Task BindQueueAsync(string exchange, string queue)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(AmqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, RabbitMQ.Client.ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(queue, exchange, "");
    }

    /// <summary>Binds <paramref name="destination"/> (an endpoint's fanout exchange) to the topic exchange <paramref name="source"/> by <paramref name="routingKey"/>, as an older version of a service did.</summary>
    public async Task BindByKeyAsync(string source, string destination, string routingKey)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(AmqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(source, RabbitMQ.Client.ExchangeType.Topic, durable: true, autoDelete: false);
        await channel.ExchangeDeclareAsync(destination, RabbitMQ.Client.ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.ExchangeBindAsync(destination, source, routingKey);
    }

    /// <summary>
    /// Publishes raw bytes, persistent and confirmed, as a MassTransit JSON envelope, into <paramref name="exchange"/>
    /// (MassTransit binds each endpoint's queue to an exchange of its name): how a malformed message from outside arrives.
    /// </summary>
    public async Task PublishRawAsync(string exchange, byte[] body)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(AmqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(
            new RabbitMQ.Client.CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new RabbitMQ.Client.BasicProperties
        {
            Persistent = true, ContentType = "application/vnd.masstransit+json", MessageId = Guid.NewGuid().ToString(),
        };
        await channel.BasicPublishAsync(exchange, "", mandatory: true, properties, body);
    }

    public async ValueTask DisposeAsync()
    {
        using var management = Management(out _);
        await management.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(Name)}");
    }

    private static HttpClient Management(out string user)
    {
        user = Uri.UnescapeDataString(new Uri(TestEnvironment.RabbitMqUri).UserInfo.Split(':', 2)[0]);
        return ManagementClient(TestEnvironment.RabbitMqUri, TestEnvironment.RabbitMqManagementUri);
    }

    /// <summary>The routing keys that bind <paramref name="exchange"/> to the destinations whose names end with <paramref name="destinationSuffix"/>, in order.</summary>
    public static async Task<List<string>> BindingKeysAsync(string virtualHost, string exchange, string destinationSuffix) =>
        [.. (await BindingsFromAsync(virtualHost, exchange))
            .Where(b => b.Destination.EndsWith(destinationSuffix, StringComparison.Ordinal))
            .Select(b => b.RoutingKey).Order(StringComparer.Ordinal)];

    /// <summary>How many messages <paramref name="queue"/> has handed to consumers, from the management API (sampled every few seconds).</summary>
    public async Task<long> DeliveredAsync(string queue)
    {
        using var management = Management(out _);
        var found = await management.GetFromJsonAsync<System.Text.Json.JsonElement>($"api/queues/{Uri.EscapeDataString(Name)}/{Uri.EscapeDataString(queue)}");
        return found.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("deliver_get", out var delivered) ? delivered.GetInt64() : 0;
    }

    /// <summary>Each consumer on this virtual host: the queue it takes from and how many unacknowledged messages it may hold.</summary>
    public async Task<List<(string Queue, int Prefetch)>> ConsumersAsync()
    {
        using var management = Management(out _);
        var consumers = await management.GetFromJsonAsync<System.Text.Json.JsonElement>($"api/consumers/{Uri.EscapeDataString(Name)}");
        return [.. consumers.EnumerateArray().Select(c => (c.GetProperty("queue").GetProperty("name").GetString()!, c.GetProperty("prefetch_count").GetInt32()))];
    }

    /// <summary>Every binding whose source is <paramref name="exchange"/>: its destination and routing key.</summary>
    public static async Task<List<(string Destination, string RoutingKey)>> BindingsFromAsync(string virtualHost, string exchange)
    {
        using var management = ManagementClient(TestEnvironment.RabbitMqUri, TestEnvironment.RabbitMqManagementUri);
        var bindings = await management.GetFromJsonAsync<System.Text.Json.JsonElement>(
            $"api/exchanges/{Uri.EscapeDataString(virtualHost)}/{Uri.EscapeDataString(exchange)}/bindings/source");
        return [.. bindings.EnumerateArray().Select(b => (b.GetProperty("destination").GetString()!, b.GetProperty("routing_key").GetString()!))];
    }

    /// <summary>An HTTP client for RabbitMQ's management API, signed in as the user of <paramref name="amqpUri"/>.</summary>
    public static HttpClient ManagementClient(string amqpUri, string managementUri)
    {
        var client = new HttpClient { BaseAddress = new Uri(managementUri) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(new Uri(amqpUri).UserInfo))));
        return client;
    }
}
