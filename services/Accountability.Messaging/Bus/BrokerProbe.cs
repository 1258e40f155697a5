using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Accountability.Messaging.Bus;

/// <summary>
/// One small connection of its own to the broker, for readiness (AspNetCore.HealthChecks.Rabbitmq opens
/// a channel on it) and for <see cref="StuckEndpointWatchdog"/>. MassTransit's own check only covers
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

            var (_, _, virtualHost, user, password) = options.Value.Parse();
            var factory = new ConnectionFactory
            {
                VirtualHost = virtualHost,
                UserName = user,
                Password = password,
                RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
                RequestedHeartbeat = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds),
                AutomaticRecoveryEnabled = false,
                ClientProvidedName = "health-check",
            };
            // The first node that answers (RabbitMq:ClusterNodes, or the host of RabbitMq:Uri): the broker is
            // reachable while any node of the cluster is.
            var endpoints = options.Value.Nodes().Select(node => new AmqpTcpEndpoint(node.Host, node.Port)).ToList();
            connection = await factory.CreateConnectionAsync(endpoints, cancellationToken);
            return connection;
        }
        finally
        {
            gate.Release();
        }
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

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
            await connection.DisposeAsync();
        gate.Dispose();
    }
}
