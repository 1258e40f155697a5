using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Accountability.Messaging.Bus;

/// <summary>
/// Is the broker reachable right now? MassTransit's own check only covers receive endpoints, so a
/// service with no consumers would look ready during an outage. One small connection, reused and
/// replaced when the broker drops it.
/// </summary>
public sealed class BrokerHealthCheck(IOptions<RabbitMqOptions> options) : IHealthCheck, IAsyncDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private IConnection? connection;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (connection is { IsOpen: true })
                return HealthCheckResult.Healthy();

            if (connection is not null)
                await connection.DisposeAsync();
            connection = null;

            var (host, port, virtualHost, user, password) = options.Value.Parse();
            var factory = new ConnectionFactory
            {
                HostName = host,
                Port = port,
                VirtualHost = virtualHost,
                UserName = user,
                Password = password,
                RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
                AutomaticRecoveryEnabled = false, // a dropped connection must show as unhealthy, then be replaced here
                ClientProvidedName = "health-check",
            };
            connection = await factory.CreateConnectionAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"Broker unreachable: {exception.GetType().Name}");
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
            await connection.DisposeAsync();
        gate.Dispose();
    }
}
