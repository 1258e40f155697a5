namespace Accountability.Notification.Features.Delivery;

/// <summary>
/// Wakes the dispatcher as soon as a consumer commits new deliveries, instead of at the next poll. One worker is woken,
/// and further signals wake no one until that worker is about to claim (<see cref="GatherAsync"/>): its claim takes
/// everything due by then. Two workers woken by deliveries committed a moment apart would otherwise gather side by side
/// and claim at the same instant, each taking part of what one claim should hold.
/// </summary>
public sealed class DeliveryWakeup
{
    private readonly SemaphoreSlim signal = new(0, 1);
    // 1 from a signal until the worker it woke is about to claim.
    private int pending;

    /// <summary>Called after the deliveries' commit, so the worker woken (now or earlier), whose claim comes later, sees them.</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref pending, 1) == 1)
            return;
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up is enough for any number of new rows.
        }
    }

    /// <summary>True when a signal woke the worker, false when the time ran out.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => signal.WaitAsync(timeout, cancellationToken);

    /// <summary>
    /// For a worker a signal woke: waits <paramref name="linger"/> for companions of the deliveries that woke it (zero waits
    /// not at all), then lets the next signal wake a worker again, just before this one claims.
    /// </summary>
    public async Task GatherAsync(TimeSpan linger, CancellationToken cancellationToken)
    {
        try
        {
            if (linger > TimeSpan.Zero)
                await Task.Delay(linger, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref pending, 0);
        }
    }
}
