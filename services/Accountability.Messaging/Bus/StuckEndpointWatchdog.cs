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
/// them do not count), while a fresh connection of this process gets a publish confirmed within the wait the relay's
/// last unanswered batch had, it exits the same way. What the bus reports of itself does not count: a stuck channel
/// can sit beside a receive side that reconnects, and a health that flips reset this rule in a CI run.
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
            if (await PublishingIsStuckAsync(limit, stoppingToken))
            {
                Exit();
                return;
            }

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
                Exit();
                return;
            }
        }
    }

    /// <summary>
    /// Stuck: a fresh connection of this process gets a publish confirmed, yet for <paramref name="limit"/> every batch
    /// of the relay has had a publish time out, and a batch begun after that was first seen has timed out. The fresh
    /// connection is given as long as the relay's last unanswered batch waited (that wait grows with a slow broker,
    /// <see cref="Relay.AdaptivePublishTimeout"/>), so a broker that is merely slow is not taken for a stuck channel,
    /// nor the other way round. An outage is not this process's fault, and a batch begun during it may still be
    /// waiting out its timeout.
    /// </summary>
    private async Task<bool> PublishingIsStuckAsync(TimeSpan limit, CancellationToken stoppingToken)
    {
        var stalledSince = publishStall.StalledSince;
        if (stalledSince is null)
        {
            publishStuckSince = null;
            return false;
        }
        var allowance = publishStall.LastTimedOutWait > options.Value.PublishTimeout ? publishStall.LastTimedOutWait : options.Value.PublishTimeout;
        if (!await broker.CanPublishAsync(allowance, stoppingToken))
        {
            if (publishStuckSince is not null || probeFailureToldFor != stalledSince)
                logger.LogWarning("The outbox relay's publishes have timed out since {StalledSince:O}, and a fresh connection's publish was not confirmed " +
                                  "within {Allowance} either: the broker is taken to be away or slow, not this process's channel", stalledSince, allowance);
            probeFailureToldFor = stalledSince;
            publishStuckSince = null;
            return false;
        }
        var now = time.GetUtcNow();
        publishStuckSince ??= now;
        if (now - publishStuckSince < limit || !(publishStall.LastTimedOutBatchStartedAt >= publishStuckSince))
            return false;
        logger.LogCritical("Every batch of the outbox relay has had a publish time out for {Seconds:0} s (since {StalledSince:O}) while a fresh " +
                           "connection's publish is confirmed within {Allowance}: the bus's channel is stuck on the client, so exiting so a fresh process takes over",
            (now - stalledSince.Value).TotalSeconds, stalledSince, allowance);
        return true;
    }

    private DateTimeOffset? probeFailureToldFor;
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
