using Accountability.Messaging.Database;
using Xunit;

namespace Accountability.Messaging.Tests;

public sealed class CoalescingWriterTests
{
    [Fact]
    public async Task An_item_that_arrives_alone_is_written_at_once_in_a_write_of_its_own()
    {
        var groups = new List<int[]>();
        var writer = new CoalescingWriter<int, bool>((items, _) =>
        {
            groups.Add([.. items]);
            return Task.FromResult<IReadOnlyList<bool>>([.. items.Select(_ => true)]);
        }, CancellationToken.None);

        Assert.True(await writer.WriteAsync(1));
        Assert.True(await writer.WriteAsync(2));

        Assert.Equal([[1], [2]], groups);
    }

    [Fact]
    public async Task With_a_linger_items_that_arrive_apart_within_it_go_together_in_one_write_and_the_writer_says_it_is_gathering_meanwhile()
    {
        var groups = new List<int[]>();
        var writer = new CoalescingWriter<int, bool>((items, _) =>
        {
            lock (groups)
                groups.Add([.. items]);
            return Task.FromResult<IReadOnlyList<bool>>([.. items.Select(_ => true)]);
        }, CancellationToken.None, linger: TimeSpan.FromSeconds(2));

        // The pauses are the scenario (items that arrive apart, inside the 2 s linger), not waits for a condition.
        var first = writer.WriteAsync(1);
        Assert.True(writer.Gathering);
        await Task.Delay(100);
        var second = writer.WriteAsync(2);
        await Task.Delay(100);
        var third = writer.WriteAsync(3);
        Assert.Empty(groups);

        Assert.All(await Task.WhenAll(first, second, third), Assert.True);
        Assert.False(writer.Gathering);
        Assert.Equal([[1, 2, 3]], groups);
    }

    [Fact]
    public async Task A_linger_ends_as_soon_as_as_many_items_wait_as_the_callers_can_have_in_flight()
    {
        var groups = new List<int[]>();
        var writer = new CoalescingWriter<int, bool>((items, _) =>
        {
            lock (groups)
                groups.Add([.. items]);
            return Task.FromResult<IReadOnlyList<bool>>([.. items.Select(_ => true)]);
        }, CancellationToken.None, linger: TimeSpan.FromMinutes(10), fullAt: 3);

        var first = writer.WriteAsync(1);
        var second = writer.WriteAsync(2);
        Assert.True(writer.Gathering);
        Assert.False(first.IsCompleted);
        var third = writer.WriteAsync(3);

        // Ten minutes of linger left, but no fourth item can come: the three are written now.
        Assert.All(await Task.WhenAll(first, second, third).WaitAsync(TimeSpan.FromSeconds(30)), Assert.True);
        Assert.Equal([[1, 2, 3]], groups);
        Assert.False(writer.Gathering);
    }

    [Fact]
    public async Task Items_that_arrive_while_a_write_is_under_way_go_together_in_the_next_write()
    {
        var groups = new List<int[]>();
        var firstWriteStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFirstWrite = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new CoalescingWriter<int, bool>(async (items, _) =>
        {
            lock (groups)
                groups.Add([.. items]);
            if (groups.Count == 1)
            {
                firstWriteStarted.SetResult();
                await releaseFirstWrite.Task;
            }
            return [.. items.Select(_ => true)];
        }, CancellationToken.None);

        var first = writer.WriteAsync(1);
        await firstWriteStarted.Task;
        var later = new[] { writer.WriteAsync(2), writer.WriteAsync(3), writer.WriteAsync(4) };
        Assert.All(later, task => Assert.False(task.IsCompleted));
        releaseFirstWrite.SetResult();

        Assert.True(await first);
        Assert.All(await Task.WhenAll(later), Assert.True);
        Assert.Equal([[1], [2, 3, 4]], groups);
    }

    [Fact]
    public async Task An_item_the_write_refuses_is_reported_as_not_written_and_the_others_as_written()
    {
        var writer = new CoalescingWriter<string, bool>(
            (items, _) => Task.FromResult<IReadOnlyList<bool>>([.. items.Select(item => item != "taken")]),
            CancellationToken.None);

        Assert.False(await writer.WriteAsync("taken"));
        Assert.True(await writer.WriteAsync("mine"));
    }

    [Fact]
    public async Task A_failed_write_fails_every_item_it_carried_and_the_next_item_gets_a_write_of_its_own()
    {
        var firstWriteStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failFirstWrite = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var writer = new CoalescingWriter<int, bool>(async (items, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                firstWriteStarted.SetResult();
                await failFirstWrite.Task;
            }
            if (items.Contains(2))
                throw new InvalidOperationException("the database refused the group");
            return [.. items.Select(_ => true)];
        }, CancellationToken.None);

        var first = writer.WriteAsync(1);
        await firstWriteStarted.Task;
        var second = writer.WriteAsync(2);
        var third = writer.WriteAsync(3);
        failFirstWrite.SetResult();

        Assert.True(await first);
        Assert.Equal("the database refused the group", (await Assert.ThrowsAsync<InvalidOperationException>(() => second)).Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => third);
        Assert.True(await writer.WriteAsync(4));
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Every_write_gets_the_token_the_writer_was_made_with()
    {
        using var stopping = new CancellationTokenSource();
        CancellationToken seen = default;
        var writer = new CoalescingWriter<int, bool>((items, token) =>
        {
            seen = token;
            return Task.FromResult<IReadOnlyList<bool>>([.. items.Select(_ => true)]);
        }, stopping.Token);

        await writer.WriteAsync(1);

        Assert.Equal(stopping.Token, seen);
    }
}
