namespace Accountability.Messaging.Relay;

/// <summary>
/// Since when every one of the relay's batches has had a publish that timed out. Neither a nack nor a confirm
/// beside it ends a stall: BrokerNodeLossTests caught stuck channels whose publishes to the queue that lost its
/// leader went unanswered for minutes while the broker nacked or confirmed others on the same channel (a message
/// no queue takes is confirmed at once), and a fresh connection's publish was confirmed. Only a batch with no
/// timeout at all shows that the channel works. RabbitMQ.Client 7.2.2 can deadlock a channel for good when the node it is connected to
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
    private long lastTimedOutWaitTicks;

    /// <summary>Null while the relay's batches get an answer for every publish.</summary>
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

    /// <summary>
    /// How long the latest batch that got no answer waited for each confirm (the relay's wait adapts to a slow broker):
    /// the watchdog gives a fresh connection's publish as long before it blames this process's channel.
    /// </summary>
    public TimeSpan LastTimedOutWait => TimeSpan.FromTicks(Interlocked.Read(ref lastTimedOutWaitTicks));

    /// <summary>The time a batch begins, to hand back to <see cref="Record"/>.</summary>
    public DateTimeOffset Now() => time.GetUtcNow();

    /// <summary>
    /// What a batch of publishes that reached the channel got: a timeout begins a stall now, unless one was under way;
    /// a batch answered in full (confirms and nacks, no timeout) with at least one confirm ends it. A batch that was
    /// only refused changes nothing: a broker that refuses everything is not this process's fault.
    /// </summary>
    public void Record(DateTimeOffset batchStartedAt, int confirmed, int timedOut, TimeSpan wait)
    {
        if (timedOut > 0)
        {
            Interlocked.Exchange(ref lastTimedOutWaitTicks, wait.Ticks);
            Interlocked.Exchange(ref lastTimedOutBatchStartedTicks, batchStartedAt.UtcTicks);
            Interlocked.CompareExchange(ref stalledSinceTicks, time.GetUtcNow().UtcTicks, NotStalled);
        }
        else if (confirmed > 0)
        {
            Interlocked.Exchange(ref stalledSinceTicks, NotStalled);
            Interlocked.Exchange(ref lastTimedOutBatchStartedTicks, NotStalled);
        }
    }
}
