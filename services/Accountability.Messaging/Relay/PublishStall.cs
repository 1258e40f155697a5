namespace Accountability.Messaging.Relay;

/// <summary>
/// Since when the relay's publishes have only timed out, with neither a confirm nor any other answer from the
/// broker in between. RabbitMQ.Client 7.2.2 can deadlock a channel for good when the node it is connected to
/// vanishes under load (rabbitmq-dotnet-client#1930, fixed after 7.2.2): a publish blocked on the dead socket
/// holds the channel's confirm lock, the channel's shutdown waits on that lock, so MassTransit never learns the
/// channel is gone and sends every later publish to it. Its receive side reconnects and the bus looks healthy.
/// Only a fresh process gets out of that, so <see cref="Bus.StuckEndpointWatchdog"/> reads this.
/// </summary>
public sealed class PublishStall
{
    private const long NotStalled = long.MinValue;

    // Real time, as the watchdog's: not the service's clock, which a test may hold still (escalation's test clock).
    private readonly TimeProvider time = TimeProvider.System;

    private long stalledSinceTicks = NotStalled;
    private long lastTimedOutBatchStartedTicks = NotStalled;

    /// <summary>Null while the broker answers the relay's publishes (a confirm, a nack or an error).</summary>
    public DateTimeOffset? StalledSince
    {
        get
        {
            var ticks = Interlocked.Read(ref stalledSinceTicks);
            return ticks == NotStalled ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>When the latest batch that got no answer at all began (a batch begun during an outage says little).</summary>
    public DateTimeOffset? LastTimedOutBatchStartedAt
    {
        get
        {
            var ticks = Interlocked.Read(ref lastTimedOutBatchStartedTicks);
            return ticks == NotStalled ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>The time a batch begins, to hand back to <see cref="TimedOut"/>.</summary>
    public DateTimeOffset Now() => time.GetUtcNow();

    /// <summary>A batch in which every publish timed out: the stall begins now, unless it already had.</summary>
    public void TimedOut(DateTimeOffset batchStartedAt)
    {
        Interlocked.Exchange(ref lastTimedOutBatchStartedTicks, batchStartedAt.UtcTicks);
        Interlocked.CompareExchange(ref stalledSinceTicks, time.GetUtcNow().UtcTicks, NotStalled);
    }

    /// <summary>The broker answered at least one publish: the channel works.</summary>
    public void Answered()
    {
        Interlocked.Exchange(ref stalledSinceTicks, NotStalled);
        Interlocked.Exchange(ref lastTimedOutBatchStartedTicks, NotStalled);
    }
}
