namespace Accountability.Messaging.Relay;

/// <summary>
/// How long the relay waits for the broker to confirm one publish. The timeout is there to give up on a stuck
/// channel, not to demand a speed: a publish that times out faults MassTransit's channel, so the next batch begins
/// on a new one, with its setup round trips (open, confirm mode, the exchanges) before the first confirm. A broker
/// slower than a fixed timeout (loaded, or just after a node's loss) would then fail every batch on every new
/// channel for as long as it stays slow: a livelock. So each timed-out batch doubles the wait, up to
/// <see cref="CeilingFactor"/> times Messaging:PublishTimeout, and a batch published in full brings it back down to
/// four times its slowest publish, never below the setting.
/// </summary>
public sealed class AdaptivePublishTimeout
{
    /// <summary>The longest wait, as a multiple of Messaging:PublishTimeout.</summary>
    public const int CeilingFactor = 16;

    private readonly TimeSpan floor;
    private readonly TimeSpan ceiling;
    private readonly Lock gate = new(); // several drain loops may share one relay
    private TimeSpan current;

    public AdaptivePublishTimeout(TimeSpan floor)
    {
        this.floor = floor;
        ceiling = floor * CeilingFactor;
        current = floor;
    }

    public TimeSpan Current
    {
        get { lock (gate) return current; }
    }

    /// <summary>Some publish of the batch was not confirmed in time.</summary>
    public void TimedOut()
    {
        lock (gate)
            current = current * 2 < ceiling ? current * 2 : ceiling;
    }

    /// <summary>No publish of the batch timed out; the slowest confirmed took <paramref name="slowest"/>.</summary>
    public void Confirmed(TimeSpan slowest)
    {
        var fits = slowest * 4;
        lock (gate)
            current = fits < floor ? floor : fits < current ? fits : current;
    }
}
