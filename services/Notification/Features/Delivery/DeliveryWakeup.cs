namespace Accountability.Notification.Features.Delivery;

/// <summary>
/// Wakes the dispatcher as soon as a consumer commits new deliveries, instead of at the next poll. A worker it woke may
/// first gather (<see cref="GatherAsync"/>): meanwhile a new delivery wakes no other worker, since the gathering one claims
/// everything due when it ends.
/// </summary>
public sealed class DeliveryWakeup
{
    private readonly SemaphoreSlim signal = new(0, 1);
    private int gathering;

    /// <summary>Called after the deliveries' commit, so a gathering worker, whose claim comes later, sees them.</summary>
    public void Signal()
    {
        if (Volatile.Read(ref gathering) > 0)
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

    /// <summary>Waits <paramref name="linger"/> for companions of the deliveries that woke the worker, before it claims them all.</summary>
    public async Task GatherAsync(TimeSpan linger, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref gathering);
        try
        {
            await Task.Delay(linger, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref gathering);
        }
    }
}
