namespace Accountability.Messaging.Database;

/// <summary>
/// Writes items as they come, one write at a time: the first item at once, and every item that arrives while a write is
/// under way together in the next one. Work done side by side often finishes together, so under load several items cost
/// one statement, while an item that arrives alone is never held back waiting for others (group commit, in small).
/// </summary>
/// <param name="write">Writes a group of items and returns the keys of those it wrote; an item whose key is missing was refused.</param>
/// <param name="keyOf">The key an item is reported under.</param>
/// <param name="cancellationToken">Passed to every write.</param>
public sealed class CoalescingWriter<TItem, TKey>(
    Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlySet<TKey>>> write, Func<TItem, TKey> keyOf, CancellationToken cancellationToken)
{
    private readonly Lock gate = new();
    private List<(TItem Item, TaskCompletionSource<bool> Written)> waiting = [];
    private bool writing;

    /// <summary>True once the item is written; false when the write that carried it refused it. Throws what that write threw.</summary>
    public async Task<bool> WriteAsync(TItem item)
    {
        var written = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool writeNow;
        lock (gate)
        {
            waiting.Add((item, written));
            writeNow = !writing;
            writing = true;
        }
        // The caller that finds no write under way writes, and goes on writing whatever arrived meanwhile.
        if (writeNow)
            await WriteUntilNoneWaitsAsync();
        return await written.Task;
    }

    private async Task WriteUntilNoneWaitsAsync()
    {
        while (true)
        {
            List<(TItem Item, TaskCompletionSource<bool> Written)> group;
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
                var written = await write([.. group.Select(g => g.Item)], cancellationToken);
                foreach (var (item, done) in group)
                    done.SetResult(written.Contains(keyOf(item)));
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
