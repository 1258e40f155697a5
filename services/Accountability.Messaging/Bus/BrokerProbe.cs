using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Accountability.Messaging.Bus;

/// <summary>
/// One small connection of its own to the broker, for readiness (AspNetCore.HealthChecks.Rabbitmq opens
/// a channel on it) and for <see cref="StuckEndpointWatchdog"/>, which also asks it whether a fresh connection
/// can publish (<see cref="CanPublishAsync"/>). MassTransit's own check only covers
/// receive endpoints, so a service with no consumers would look ready during an outage. Reused while
/// open, replaced once the broker drops it: it does not recover by itself, so a drop shows at once.
/// </summary>
public sealed class BrokerProbe(IOptions<RabbitMqOptions> options) : IAsyncDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private IConnection? connection;

    public async Task<IConnection> ConnectionAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (connection is { IsOpen: true })
                return connection;
            if (connection is not null)
                await connection.DisposeAsync();
            connection = null;

            connection = await CreateConnectionAsync("health-check", cancellationToken);
            return connection;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>How long a connection attempt waits on one node, for the socket and again for the AMQP handshake, before the client tries the next.</summary>
    public static readonly TimeSpan ConnectTimeoutPerNode = TimeSpan.FromSeconds(3);

    private Task<IConnection> CreateConnectionAsync(string name, CancellationToken cancellationToken)
    {
        var (_, _, virtualHost, user, password) = options.Value.Parse();
        var factory = new ConnectionFactory
        {
            VirtualHost = virtualHost,
            UserName = user,
            Password = password,
            RequestedConnectionTimeout = ConnectTimeoutPerNode,
            HandshakeContinuationTimeout = ConnectTimeoutPerNode,
            RequestedHeartbeat = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds),
            AutomaticRecoveryEnabled = false,
            ClientProvidedName = name,
        };
        // The first node that answers (RabbitMq:ClusterNodes, or the host of RabbitMq:Uri): the broker is
        // reachable while any node of the cluster is.
        var endpoints = options.Value.Nodes().Select(node => new AmqpTcpEndpoint(node.Host, node.Port)).ToList();
        return factory.CreateConnectionAsync(endpoints, cancellationToken);
    }

    /// <summary>Does the broker answer right now?</summary>
    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ConnectionAsync(cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Does a connection of its own get a publish confirmed right now? The message goes to the default exchange
    /// with a routing key no queue has, which the broker confirms and drops. A broker that blocks publishers
    /// (a memory or disk alarm) fails this as it fails the service's own publishes, so a stall it causes is
    /// not mistaken for this process's fault. A connection of its own, closed after: a blocked publisher's
    /// connection is not read by the broker any more, and readiness must not wait on it.
    /// <paramref name="timeout"/> bounds the channel and the publish. Connecting has a budget of its own, twice
    /// <see cref="ConnectTimeoutPerNode"/> per node: the client tries the cluster's nodes in a random order, and a node
    /// that is gone (BrokerNodeLossTests kills one) must not fail the probe while another answers.
    /// </summary>
    public async Task<bool> CanPublishAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connecting.CancelAfter(2 * ConnectTimeoutPerNode * options.Value.Nodes().Count);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await using var fresh = await CreateConnectionAsync("publish-probe", connecting.Token);
            deadline.CancelAfter(timeout);
            await using var channel = await fresh.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), deadline.Token);
            await channel.BasicPublishAsync(exchange: "", routingKey: "accountability-publish-probe", mandatory: false,
                body: ReadOnlyMemory<byte>.Empty, cancellationToken: deadline.Token);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
            await connection.DisposeAsync();
        gate.Dispose();
    }
}
