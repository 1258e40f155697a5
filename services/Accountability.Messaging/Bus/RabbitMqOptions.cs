namespace Accountability.Messaging.Bus;

/// <summary>Settings under "RabbitMq": one amqp:// URI with credentials and virtual host, the nodes of a cluster, and the queue type.</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    public string Uri { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";

    /// <summary>
    /// The nodes of a RabbitMQ cluster, comma-separated <c>host[:port]</c> (the port of <see cref="Uri"/> when left
    /// out). Empty: the one host of <see cref="Uri"/>. Set: the bus, and so the outbox relay that publishes through it,
    /// connects to the first node that answers and, when its node dies, reconnects to the next one; the readiness
    /// probe tries them in the same order. <see cref="Uri"/> still gives the login, the virtual host and the scheme.
    /// </summary>
    public string ClusterNodes { get; set; } = "";

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

    /// <summary>
    /// The AMQP heartbeat asked of the broker. A node that vanishes without closing its sockets (a lost machine, a
    /// partition, a container whose network went with it) is noticed after about two missed beats, and the bus moves
    /// to the next node; at the broker's own 60 s that took two minutes, with every publish and delivery stalled.
    /// </summary>
    public int HeartbeatSeconds { get; set; } = 10;

    public void Validate()
    {
        if (DeliveryLimit is < 1 or > 1000)
            throw new InvalidOperationException($"RabbitMq:DeliveryLimit must be between 1 and 1000, not {DeliveryLimit}.");
        if (HeartbeatSeconds is < 1 or > 600)
            throw new InvalidOperationException($"RabbitMq:HeartbeatSeconds must be between 1 and 600, not {HeartbeatSeconds}.");
        Parse();
        Nodes();
    }

    /// <summary>Where to connect, in order: the <see cref="ClusterNodes"/>, or else the host of <see cref="Uri"/>.</summary>
    public IReadOnlyList<(string Host, ushort Port)> Nodes()
    {
        var (host, port, _, _, _) = Parse();
        if (string.IsNullOrWhiteSpace(ClusterNodes))
            return [(host, port)];
        var nodes = new List<(string Host, ushort Port)>();
        foreach (var raw in ClusterNodes.Split(',', StringSplitOptions.TrimEntries))
        {
            var node = ParseNode(raw, port);
            if (nodes.Contains(node))
                throw new InvalidOperationException($"RabbitMq:ClusterNodes names the node '{raw}' twice.");
            nodes.Add(node);
        }
        return nodes;
    }

    private static (string Host, ushort Port) ParseNode(string entry, ushort defaultPort)
    {
        string Bad(string why) => $"RabbitMq:ClusterNodes entry '{entry}' is not a host[:port] ({why}); expected e.g. 'rabbit-1:5672,rabbit-2:5672,rabbit-3:5672'.";
        if (entry.Length == 0)
            throw new InvalidOperationException(Bad("empty; check for a stray comma"));
        if (entry.Contains("://", StringComparison.Ordinal))
            throw new InvalidOperationException(Bad("no scheme: the scheme, login and virtual host come from RabbitMq:Uri"));
        var host = entry;
        var port = defaultPort;
        var colon = entry.LastIndexOf(':');
        // A bracketed IPv6 address ([::1]:5672) keeps its own colons.
        if (colon >= 0 && (entry[0] != '[' || entry.IndexOf(']', StringComparison.Ordinal) < colon))
        {
            host = entry[..colon];
            if (!ushort.TryParse(entry[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port == 0)
                throw new InvalidOperationException(Bad("the port must be a number from 1 to 65535"));
        }
        host = host.Trim('[', ']');
        if (System.Uri.CheckHostName(host) == UriHostNameType.Unknown)
            throw new InvalidOperationException(Bad("not a valid host name or address"));
        return (host, port);
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
