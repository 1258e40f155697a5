namespace Accountability.Messaging.Database;

/// <summary>
/// Writes items as they come, one write at a time: the first item at once, and every item that arrives while a write is
/// under way together in the next one. Work done side by side often finishes together, so under load several items cost
/// one statement, while an item that arrives alone is never held back waiting for others (group commit, in small).
/// With a <paramref name="linger"/>, the item that finds the writer idle waits that long for companions first: for work
/// off the critical path, where a trickle's related items (a complaint's messages) are worth one write instead of one each.
/// The linger ends early once <paramref name="fullAt"/> items wait: a group that size is worth writing now. Under a backlog
/// the callers' in-flight limit (a queue's prefetch) stops more from coming until a group is written, so without it every
/// group would wait out the whole linger (`make bench`'s clocked stage, twentieth round). Escalation sets it at half its
/// prefetch, so the other half gathers the next group while this one is written.
/// </summary>
/// <param name="write">Writes a group of items and returns what became of each, in the items' order.</param>
/// <param name="cancellationToken">Passed to every write.</param>
/// <param name="linger">How long an idle writer gathers before its first write; zero writes at once.</param>
/// <param name="fullAt">How many waiting items end a linger at once; by default only the linger's end does.</param>
public sealed class CoalescingWriter<TItem, TResult>(
    Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> write, CancellationToken cancellationToken, TimeSpan linger = default,
    int fullAt = int.MaxValue)
{
    private readonly Lock gate = new();
    private List<(TItem Item, TaskCompletionSource<TResult> Written)> waiting = [];
    private bool writing;
    private volatile bool gathering;
    // Completed when the items gathered during a linger reach fullAt; null outside a linger.
    private TaskCompletionSource? filled;

    /// <summary>True while the writer waits out its linger: an item given to it now joins the coming write.</summary>
    public bool Gathering => gathering;

    /// <summary>What the write that carried the item made of it, once it is done. Throws what that write threw.</summary>
    public async Task<TResult> WriteAsync(TItem item)
    {
        var written = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool writeNow;
        lock (gate)
        {
            waiting.Add((item, written));
            writeNow = !writing;
            writing = true;
            if (waiting.Count >= fullAt)
                filled?.TrySetResult();
        }
        // The caller that finds no write under way writes, and goes on writing whatever arrived meanwhile.
        if (writeNow)
        {
            if (linger > TimeSpan.Zero)
                await GatherAsync();
            await WriteUntilNoneWaitsAsync();
        }
        return await written.Task;
    }

    private async Task GatherAsync()
    {
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            filled = full;
            if (waiting.Count >= fullAt)
                full.TrySetResult();
        }
        gathering = true;
        using var lingerEnds = new CancellationTokenSource();
        try
        {
            await Task.WhenAny(Task.Delay(linger, lingerEnds.Token), full.Task);
        }
        finally
        {
            await lingerEnds.CancelAsync();
            gathering = false;
            lock (gate)
                filled = null;
        }
    }

    private async Task WriteUntilNoneWaitsAsync()
    {
        while (true)
        {
            List<(TItem Item, TaskCompletionSource<TResult> Written)> group;
            lock (gate)
            {
                if (waiting.Count == 0)
                {
                    writing = false;
                    return;
                }
                group = waiting;
                waiting = [];
            }
            try
            {
                var results = await write([.. group.Select(g => g.Item)], cancellationToken);
                if (results.Count != group.Count)
                    throw new InvalidOperationException($"A write of {group.Count} items returned {results.Count} results.");
                for (var i = 0; i < group.Count; i++)
                    group[i].Written.SetResult(results[i]);
            }
            catch (Exception exception)
            {
                // Each caller whose item rode on this write learns why; items that arrive later get a write of their own.
                foreach (var (_, done) in group)
                    done.SetException(exception);
            }
        }
    }
}
