namespace Accountability.Messaging.Bus;

/// <summary>Settings under "RabbitMq": one amqp:// URI with credentials and virtual host, and the queue type.</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    public string Uri { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";

    /// <summary>
    /// Declare every durable receive endpoint, and its _error and _skipped queues, as a quorum queue (replicated
    /// across the cluster's nodes). Off for the single node of `make up` and the tests; on in clustered deployments.
    /// An existing classic queue cannot change type in place: see <see cref="QuorumQueueTopology"/>.
    /// </summary>
    public bool QuorumQueues { get; set; }

    /// <summary>
    /// With quorum queues: how often the broker may hand out one message before it dead-letters it into the
    /// queue's _error queue. Only deliveries the broker makes count (a consumer that died or lost its connection
    /// holding the message); MassTransit's retries run inside one delivery.
    /// </summary>
    public int DeliveryLimit { get; set; } = 20;

    public void Validate()
    {
        if (DeliveryLimit is < 1 or > 1000)
            throw new InvalidOperationException($"RabbitMq:DeliveryLimit must be between 1 and 1000, not {DeliveryLimit}.");
    }

    public (string Host, ushort Port, string VirtualHost, string User, string Password) Parse()
    {
        if (!System.Uri.TryCreate(Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw new InvalidOperationException("RabbitMq:Uri must be an absolute amqp:// or amqps:// URI.");
        var credentials = uri.UserInfo.Split(':', 2);
        var user = credentials.Length > 0 && credentials[0].Length > 0 ? System.Uri.UnescapeDataString(credentials[0]) : "guest";
        var password = credentials.Length > 1 ? System.Uri.UnescapeDataString(credentials[1]) : "guest";
        var path = uri.AbsolutePath.TrimStart('/');
        var virtualHost = path.Length == 0 ? "/" : System.Uri.UnescapeDataString(path);
        var port = uri.IsDefaultPort || uri.Port < 0 ? (ushort)(uri.Scheme == "amqps" ? 5671 : 5672) : (ushort)uri.Port;
        return (uri.Host, port, virtualHost, user, password);
    }
}
