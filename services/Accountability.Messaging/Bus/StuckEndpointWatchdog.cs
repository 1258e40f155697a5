using Accountability.Messaging.Relay;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Accountability.Messaging.Bus;

/// <summary>
/// Crash-only recovery for a bus that does not come back. `make chaos` found receive endpoints that
/// stayed degraded for minutes after a broker node was killed mid-shutdown and restarted, while the
/// broker answered again: the process looked alive and consumed nothing. `make chaos CLUSTER=1` found
/// endpoints that never started at all: the node the bus was connecting to was killed during its start,
/// and the endpoints stayed "not started" for 14 minutes while the other nodes answered. So when the
/// endpoints stay down for <see cref="MessagingOptions.StuckEndpointExitAfter"/> while the broker is
/// reachable (twice that before they first ran: a start on a loaded machine is slow), the process exits
/// with status 1 and its supervisor starts a fresh one.
/// The send side can stick as well (<see cref="PublishStall"/>: the node under the connection killed while
/// it published): when every batch of the relay has had a publish time out for as long (confirms and nacks beside
/// them do not count), while the bus reports itself connected and a fresh connection of this process gets a publish
/// confirmed, it exits the same way.
/// A stop that hangs on the stuck bus is cut short after <see cref="ExitGrace"/>.
/// The outbox and inbox make that restart safe; readiness already reports 503 meanwhile. This service starts
/// after the migrations have run, so a database that is away at start-up never counts against the endpoints.
/// </summary>
public sealed class StuckEndpointWatchdog(
    IBusControl bus, BrokerProbe broker, PublishStall publishStall, IOptions<MessagingOptions> options,
    IHostApplicationLifetime lifetime, ILogger<StuckEndpointWatchdog> logger) : BackgroundService
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
            if (await PublishingIsStuckAsync(health, limit, stoppingToken))
            {
                Exit();
                return;
            }

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
                Exit();
                return;
            }
        }
    }

    /// <summary>
    /// Stuck: the bus reports itself connected and a fresh connection of this process gets a publish confirmed,
    /// yet for <paramref name="limit"/> every batch of the relay has had a publish time out, and a batch begun
    /// after that was first seen has timed out. An outage, or a bus still reconnecting after one, is not this process's fault,
    /// and a batch begun during it may still be waiting out its timeout.
    /// </summary>
    private async Task<bool> PublishingIsStuckAsync(BusHealthResult health, TimeSpan limit, CancellationToken stoppingToken)
    {
        var stalledSince = publishStall.StalledSince;
        if (stalledSince is null || health.Status != BusHealthStatus.Healthy
            || !await broker.CanPublishAsync(options.Value.PublishTimeout, stoppingToken))
        {
            publishStuckSince = null;
            return false;
        }
        var now = time.GetUtcNow();
        publishStuckSince ??= now;
        if (now - publishStuckSince < limit || !(publishStall.LastTimedOutBatchStartedAt >= publishStuckSince))
            return false;
        logger.LogCritical("Every batch of the outbox relay has had a publish time out for {Seconds:0} s (since {StalledSince:O}) while the bus reports itself " +
                           "connected and a fresh connection's publish is confirmed: the bus's channel is stuck on the client, so exiting so a fresh process takes over",
            (now - stalledSince.Value).TotalSeconds, stalledSince);
        return true;
    }

    private DateTimeOffset? publishStuckSince;

    private void Exit()
    {
        Environment.ExitCode = 1;
        lifetime.StopApplication();
        // The stop itself can hang on the stuck bus (MassTransit's stop waits on its channels and does not heed the
        // host's shutdown timeout), and a process that never ends is never replaced.
        _ = Task.Run(async () =>
        {
            var stopped = new TaskCompletionSource();
            using var registration = lifetime.ApplicationStopped.Register(stopped.SetResult);
            if (await Task.WhenAny(stopped.Task, Task.Delay(ExitGrace, time)) == stopped.Task)
                return;
            logger.LogCritical("The stop has not finished {Seconds:0} s after the watchdog asked for it; ending the process now", ExitGrace.TotalSeconds);
            Environment.Exit(1);
        });
    }

    /// <summary>How long an orderly stop may take before the process ends without one.</summary>
    internal static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(30);
}
