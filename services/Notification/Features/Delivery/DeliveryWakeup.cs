namespace Accountability.Notification.Features.Delivery;

/// <summary>Wakes the dispatcher as soon as a consumer commits new deliveries, instead of at the next poll.</summary>
public sealed class DeliveryWakeup
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Signal()
    {
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up is enough for any number of new rows.
        }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await signal.WaitAsync(timeout, cancellationToken);
}
