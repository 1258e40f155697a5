using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Accountability.Messaging.Bus;

/// <summary>
/// Crash-only recovery for consumers that do not come back. `make chaos` found receive endpoints that
/// stayed degraded for minutes after a broker node was killed mid-shutdown and restarted, while the
/// broker answered again: the process looked alive and consumed nothing. Once the endpoints have run,
/// if they stay down for <see cref="MessagingOptions.StuckEndpointExitAfter"/> while the broker is
/// reachable, the process exits with status 1 and its supervisor starts a fresh one. The outbox and
/// inbox make that restart safe; readiness already reports 503 meanwhile.
/// </summary>
public sealed class StuckEndpointWatchdog(
    IBusControl bus, BrokerProbe broker, IOptions<MessagingOptions> options, IHostApplicationLifetime lifetime,
    ILogger<StuckEndpointWatchdog> logger) : BackgroundService
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);

    // Real time on purpose, even where a test holds the service's clock still.
    private readonly TimeProvider time = TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var limit = options.Value.StuckEndpointExitAfter;
        if (limit == TimeSpan.Zero)
            return;
        var ranOnce = false;
        DateTimeOffset? downSince = null;
        using var timer = new PeriodicTimer(CheckEvery, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var health = bus.CheckHealth();
            if (health.Status == BusHealthStatus.Healthy)
            {
                ranOnce = true;
                downSince = null;
                continue;
            }
            // Only a broker that answers makes a stuck endpoint this process's own fault.
            var brokerUp = await broker.IsReachableAsync(stoppingToken);
            if (!ranOnce || !brokerUp)
            {
                downSince = null;
                continue;
            }
            downSince ??= time.GetUtcNow();
            if (time.GetUtcNow() - downSince >= limit)
            {
                logger.LogCritical("Receive endpoints have been down for {Seconds:0} s while the broker answers ({Description}); exiting so a fresh process takes over",
                    (time.GetUtcNow() - downSince.Value).TotalSeconds, health.Description);
                Environment.ExitCode = 1;
                lifetime.StopApplication();
                return;
            }
        }
    }
}
