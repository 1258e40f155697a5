using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Accountability.Messaging.Bus;

/// <summary>
/// Crash-only recovery for consumers that do not come back. `make chaos` found receive endpoints that
/// stayed degraded for minutes after a broker node was killed mid-shutdown and restarted, while the
/// broker answered again: the process looked alive and consumed nothing. `make chaos CLUSTER=1` found
/// endpoints that never started at all: the node the bus was connecting to was killed during its start,
/// and the endpoints stayed "not started" for 14 minutes while the other nodes answered. So when the
/// endpoints stay down for <see cref="MessagingOptions.StuckEndpointExitAfter"/> while the broker is
/// reachable (twice that before they first ran: a start on a loaded machine is slow), the process exits
/// with status 1 and its supervisor starts a fresh one. The outbox and inbox make that restart safe;
/// readiness already reports 503 meanwhile. This service starts after the migrations have run, so a
/// database that is away at start-up never counts against the endpoints.
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
            if (!await broker.IsReachableAsync(stoppingToken))
            {
                downSince = null;
                continue;
            }
            downSince ??= time.GetUtcNow();
            if (time.GetUtcNow() - downSince >= (ranOnce ? limit : 2 * limit))
            {
                logger.LogCritical("Receive endpoints have been down for {Seconds:0} s ({Since}) while the broker answers ({Description}); exiting so a fresh process takes over",
                    (time.GetUtcNow() - downSince.Value).TotalSeconds, ranOnce ? "after they ran" : "since the start, never having run", health.Description);
                Environment.ExitCode = 1;
                lifetime.StopApplication();
                return;
            }
        }
    }
}
