namespace Accountability.Messaging.Database;

/// <summary>
/// Writes items as they come, one write at a time: the first item at once, and every item that arrives while a write is
/// under way together in the next one. Work done side by side often finishes together, so under load several items cost
/// one statement, while an item that arrives alone is never held back waiting for others (group commit, in small).
/// With a <paramref name="linger"/>, the item that finds the writer idle waits that long for companions first: for work
/// off the critical path, where a trickle's related items (a complaint's messages) are worth one write instead of one each.
/// </summary>
/// <param name="write">Writes a group of items and returns what became of each, in the items' order.</param>
/// <param name="cancellationToken">Passed to every write.</param>
/// <param name="linger">How long an idle writer gathers before its first write; zero writes at once.</param>
public sealed class CoalescingWriter<TItem, TResult>(
    Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> write, CancellationToken cancellationToken, TimeSpan linger = default)
{
    private readonly Lock gate = new();
    private List<(TItem Item, TaskCompletionSource<TResult> Written)> waiting = [];
    private bool writing;
    private volatile bool gathering;

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
        }
        // The caller that finds no write under way writes, and goes on writing whatever arrived meanwhile.
        if (writeNow)
        {
            if (linger > TimeSpan.Zero)
            {
                gathering = true;
                try
                {
                    await Task.Delay(linger, CancellationToken.None);
                }
                finally
                {
                    gathering = false;
                }
            }
            await WriteUntilNoneWaitsAsync();
        }
        return await written.Task;
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
