using System.Threading.Channels;

namespace Accountability.Escalation.Features.Timers;

/// <summary>Wakes the timer poller early: when a consumer scheduled a timer that is already due, or a test moved the clock.</summary>
public sealed class TimerWakeUp
{
    private readonly Channel<bool> signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => signals.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        poll.CancelAfter(timeout);
        try
        {
            await signals.Reader.ReadAsync(poll.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval passed: look anyway.
        }
    }
}
