namespace Accountability.Messaging.Relay;

/// <summary>
/// Since when the relay's batches have got no confirm at all, each with at least one publish that timed out.
/// A nack does not end a stall: BrokerNodeLossTests caught a stuck channel whose publishes the broker partly
/// nacked ("Message rejected by broker") and partly left unanswered, for minutes, while a fresh connection's
/// publish was confirmed. Only a confirm shows that the channel works. RabbitMQ.Client 7.2.2 can deadlock a channel for good when the node it is connected to
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

    /// <summary>Null while the broker confirms some of the relay's publishes.</summary>
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

    /// <summary>
    /// What a batch of publishes that reached the channel got: any confirm ends a stall; none, with at least one
    /// timeout, begins one now unless it already had. A batch that was only refused (nacks, errors) changes nothing:
    /// a broker that refuses everything is not this process's fault, yet a refusal says nothing of the publishes
    /// that went unanswered beside it.
    /// </summary>
    public void Record(DateTimeOffset batchStartedAt, int confirmed, int timedOut)
    {
        if (confirmed > 0)
        {
            Interlocked.Exchange(ref stalledSinceTicks, NotStalled);
            Interlocked.Exchange(ref lastTimedOutBatchStartedTicks, NotStalled);
        }
        else if (timedOut > 0)
        {
            Interlocked.Exchange(ref lastTimedOutBatchStartedTicks, batchStartedAt.UtcTicks);
            Interlocked.CompareExchange(ref stalledSinceTicks, time.GetUtcNow().UtcTicks, NotStalled);
        }
    }
}
