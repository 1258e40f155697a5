using System.Collections.Concurrent;
using Accountability.Messaging.Inbox;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>
/// The grouped inbox: messages that arrive while a transaction is being written share the next one, each applied once.
/// A message for each lane is held until the others have arrived, so that they are known to wait together. Those tests
/// turn the linger off: they are about the lanes, and a lingering lane would take every held message.
/// </summary>
public sealed class GroupedInboxTests
{
    private static readonly Dictionary<string, string?> NoLinger = new() { ["Messaging:InboxGroupLinger"] = "00:00:00" };

    private const string Increment =
        "insert into effects (work_id, applied) values (@workId, 1) on conflict (work_id) do update set applied = effects.applied + 1";

    [Fact]
    public async Task Messages_of_several_consumers_that_arrive_together_share_a_transaction_in_each_lane_and_a_second_delivery_applies_nothing()
    {
        await using var host = await MessagingTestHost.StartAsync(settings: NoLinger);
        var inbox = host.Services.GetRequiredService<GroupedInbox>();
        var transactions = new ConcurrentDictionary<Guid, long>();
        var (held, release) = HoldEveryLane(inbox, transactions);
        // Two messages for each lane, of three consumers, arrive while every lane is writing.
        var rest = Enumerable.Range(0, 2 * GroupedInbox.Lanes).Select(i => Message($"consumer-{i % 3}")).ToList();
        var restDone = rest.Select(m => inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default)).ToList();
        release.SetResult();

        Assert.All(await Task.WhenAll(held.Select(h => h.Done)), Assert.True);
        Assert.All(await Task.WhenAll(restDone), Assert.True);
        var restTransactions = rest.Select(m => transactions[m.WorkId]).Distinct().ToList();
        Assert.Equal(GroupedInbox.Lanes, restTransactions.Count);
        Assert.Empty(restTransactions.Intersect(held.Select(h => transactions[h.Message.WorkId])));

        // Delivered again, together: nothing is applied twice.
        var again = await Task.WhenAll(rest.Select(m => inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default)));
        Assert.All(again, Assert.False);
        var effects = await host.EffectsAsync();
        Assert.Equal(held.Count + rest.Count, effects.Count);
        Assert.All(effects, effect => Assert.Equal(1, effect.Value));
    }

    [Fact]
    public async Task A_message_whose_work_fails_fails_alone_and_the_messages_that_arrived_with_it_are_applied()
    {
        await using var host = await MessagingTestHost.StartAsync(settings: NoLinger);
        var inbox = host.Services.GetRequiredService<GroupedInbox>();
        var transactions = new ConcurrentDictionary<Guid, long>();
        var (held, release) = HoldEveryLane(inbox, transactions);
        // Two messages for each lane; the third is bad, so its lane's group holds it and a good one.
        var arriving = Enumerable.Range(0, 2 * GroupedInbox.Lanes).Select(_ => Message("test")).ToList();
        var bad = arriving[2];
        var good = arriving.Where(m => m != bad).ToList();
        var done = arriving.Select(m => m == bad
            // It writes its effect, then breaks the transaction it shares with another message.
            ? inbox.ProcessOnceAsync(m.Consumer, m.MessageId, async (tx, ct) =>
            {
                await tx.Connection!.ExecuteAsync(new CommandDefinition(Increment, new { workId = m.WorkId }, tx, cancellationToken: ct));
                await tx.Connection!.ExecuteAsync(new CommandDefinition("select 1 / 0", transaction: tx, cancellationToken: ct));
            }, default)
            : inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default)).ToList();
        release.SetResult();

        Assert.All(await Task.WhenAll(held.Select(h => h.Done)), Assert.True);
        var failure = await Assert.ThrowsAsync<PostgresException>(() => done[arriving.IndexOf(bad)]);
        Assert.Equal(PostgresErrorCodes.DivisionByZero, failure.SqlState);
        Assert.All(await Task.WhenAll(done.Where((_, i) => arriving[i] != bad)), Assert.True);
        Assert.Contains(host.RecentLogs.Lines, line => line.Contains("messages together failed; writing them one at a time", StringComparison.Ordinal));
        Assert.Equal(0, await host.CountAsync("select count(*) from effects where work_id = @workId", new { workId = bad.WorkId }));
        Assert.Equal(0, await host.CountAsync("select count(*) from inbox where message_id = @messageId", new { bad.MessageId }));
        var effects = await host.EffectsAsync();
        Assert.All(good, m => Assert.Equal(1, effects[m.WorkId]));
        // It failed alone, so it can be processed once it is mended.
        Assert.True(await inbox.ProcessOnceAsync(bad.Consumer, bad.MessageId, ApplyAfter(Task.CompletedTask, bad.WorkId, transactions), default));
    }

    [Fact]
    public async Task A_consumer_that_stops_waiting_does_not_cancel_the_transaction_its_message_is_in()
    {
        await using var host = await MessagingTestHost.StartAsync(settings: NoLinger);
        var inbox = host.Services.GetRequiredService<GroupedInbox>();
        var transactions = new ConcurrentDictionary<Guid, long>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var message = Message("test");
        using var stopWaiting = new CancellationTokenSource();

        var done = inbox.ProcessOnceAsync(message.Consumer, message.MessageId, ApplyAfter(release.Task, message.WorkId, transactions), stopWaiting.Token);
        await stopWaiting.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => done);
        release.SetResult();

        // The write goes on and commits; the message's redelivery then finds it processed.
        await TestSupport.Eventually.HoldsAsync(async () => await host.CountAsync(
            "select count(*) from inbox where message_id = @MessageId", new { message.MessageId }) == 1, "the message's transaction committed");
        Assert.False(await inbox.ProcessOnceAsync(message.Consumer, message.MessageId, ApplyAfter(Task.CompletedTask, message.WorkId, transactions), default));
        Assert.Equal(1, (await host.EffectsAsync())[message.WorkId]);
    }

    [Fact]
    public async Task Messages_of_several_consumers_that_arrive_apart_within_the_linger_share_one_transaction()
    {
        await using var host = await MessagingTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Messaging:InboxGroupLinger"] = "00:00:03" });
        var inbox = host.Services.GetRequiredService<GroupedInbox>();
        var transactions = new ConcurrentDictionary<Guid, long>();
        // Three, of three consumers: fewer than a full group (half the prefetch of 8), which would end the linger at once.
        var arriving = Enumerable.Range(0, 3).Select(i => Message($"consumer-{i}")).ToList();

        // As a complaint's messages reach notification at a trickle: one at a time, a tenth of a second apart.
        var done = new List<Task<bool>>();
        foreach (var m in arriving)
        {
            done.Add(inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default));
            await Task.Delay(100);
        }

        Assert.All(await Task.WhenAll(done), Assert.True);
        Assert.Single(arriving.Select(m => transactions[m.WorkId]).Distinct());
        var effects = await host.EffectsAsync();
        Assert.All(arriving, m => Assert.Equal(1, effects[m.WorkId]));
    }

    [Fact]
    public async Task A_group_as_large_as_half_the_prefetch_is_written_at_once_instead_of_waiting_out_the_linger()
    {
        // Under a backlog the prefetch lets no more in until a group is written: waiting for more would wait out the linger.
        await using var host = await MessagingTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Messaging:InboxGroupLinger"] = "00:00:10",
            ["Messaging:PrefetchCount"] = "8",
        });
        var inbox = host.Services.GetRequiredService<GroupedInbox>();
        var transactions = new ConcurrentDictionary<Guid, long>();
        var arriving = Enumerable.Range(0, 4).Select(i => Message($"consumer-{i % 3}")).ToList();

        var written = System.Diagnostics.Stopwatch.StartNew();
        var done = await Task.WhenAll(arriving.Select(m =>
            inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default)));

        Assert.All(done, Assert.True);
        Assert.True(written.Elapsed < TimeSpan.FromSeconds(5), $"the four were written after {written.Elapsed}, as if the 10 s linger ran out");
        Assert.Single(arriving.Select(m => transactions[m.WorkId]).Distinct());
    }

    [Fact]
    public async Task A_statement_left_for_the_commit_is_sent_once_after_every_message_in_the_transaction_and_again_for_a_message_written_alone()
    {
        await using var host = await MessagingTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Messaging:InboxGroupLinger"] = "00:00:03" });
        var inbox = host.Services.GetRequiredService<GroupedInbox>();
        var transactions = new ConcurrentDictionary<Guid, long>();
        var asked = 0;
        Func<NpgsqlConnection, IReadOnlyList<NpgsqlBatchCommand>> atTheEnd = _ =>
        {
            Interlocked.Increment(ref asked);
            return [new NpgsqlBatchCommand("insert into transaction_ends (tx, effects) select txid_current(), (select count(*)::int from effects)")];
        };
        async Task<List<(long Transaction, int EffectsSoFar)>> EndsAsync()
        {
            await using var connection = await host.Database.OpenConnectionAsync();
            return [.. await connection.QueryAsync<(long, int)>("select tx, effects from transaction_ends order by id")];
        }

        // Three within the linger: one transaction, and the end's statement once, after all three, in that transaction.
        var together = Enumerable.Range(0, 3).Select(i => Message($"consumer-{i}")).ToList();
        var done = together.Select(m => inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default, atTheEnd)).ToList();
        Assert.All(await Task.WhenAll(done), Assert.True);
        var shared = Assert.Single(together.Select(m => transactions[m.WorkId]).Distinct());
        Assert.Equal((shared, 3), Assert.Single(await EndsAsync()));
        Assert.Equal(1, asked);

        // A group that fails is written again one message at a time; each then has its own end, and the failed group's is gone with it.
        var good = Message("good");
        var bad = Message("bad");
        var retried = new[]
        {
            inbox.ProcessOnceAsync(good.Consumer, good.MessageId, ApplyAfter(Task.CompletedTask, good.WorkId, transactions), default, atTheEnd),
            inbox.ProcessOnceAsync(bad.Consumer, bad.MessageId, (_, _) => throw new InvalidOperationException("bad message"), default, atTheEnd),
        };
        Assert.True(await retried[0]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => retried[1]);
        var ends = await EndsAsync();
        Assert.Equal(2, ends.Count);
        Assert.Equal((transactions[good.WorkId], 4), ends[^1]);
    }

    [Fact]
    public async Task A_statement_left_for_the_commit_that_fails_rolls_back_the_work_of_the_messages_with_it()
    {
        await using var host = await MessagingTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Messaging:InboxGroupLinger"] = "00:00:03" });
        var inbox = host.Services.GetRequiredService<GroupedInbox>();
        var transactions = new ConcurrentDictionary<Guid, long>();
        Func<NpgsqlConnection, IReadOnlyList<NpgsqlBatchCommand>> failing = _ => [new NpgsqlBatchCommand("select 1 / 0")];

        var together = Enumerable.Range(0, 2).Select(i => Message($"consumer-{i}")).ToList();
        var done = together.Select(m => inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default, failing)).ToList();

        // Together, then each alone: every attempt ends in the failing statement, so nothing is committed and both fail.
        foreach (var attempt in done)
            await Assert.ThrowsAsync<PostgresException>(() => attempt);
        Assert.Empty(await host.EffectsAsync());
        // Not claimed either: delivered again with a statement that works, both are applied.
        Assert.All(await Task.WhenAll(together.Select(m => inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default))), Assert.True);
        Assert.Equal(2, (await host.EffectsAsync()).Count);
    }

    [Theory]
    [InlineData("-00:00:00.001")]
    [InlineData("00:00:10.001")]
    public void An_inbox_group_linger_outside_zero_to_ten_seconds_stops_the_start_with_an_error_that_names_the_setting(string linger)
    {
        var options = new MessagingOptions { InboxGroupLinger = TimeSpan.Parse(linger, System.Globalization.CultureInfo.InvariantCulture) };

        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("Messaging:InboxGroupLinger", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// One message for each lane, in turn, whose work waits until the returned source is set: every lane is then writing,
    /// and whatever arrives meanwhile waits for its lane's next transaction.
    /// </summary>
    private static (List<(Msg Message, Task<bool> Done)> Held, TaskCompletionSource Release) HoldEveryLane(
        GroupedInbox inbox, ConcurrentDictionary<Guid, long> transactions)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = Enumerable.Range(0, GroupedInbox.Lanes).Select(_ => Message("held")).Select(m =>
            (m, inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(release.Task, m.WorkId, transactions), default))).ToList();
        return (held, release);
    }

    private static Msg Message(string consumer) => new(consumer, Guid.NewGuid(), Guid.NewGuid());

    private sealed record Msg(string Consumer, Guid MessageId, Guid WorkId);

    /// <summary>Work that waits for <paramref name="start"/>, applies its effect and notes the transaction it ran in.</summary>
    private static Func<NpgsqlTransaction, CancellationToken, Task> ApplyAfter(Task start, Guid workId, ConcurrentDictionary<Guid, long> transactions) =>
        async (tx, ct) =>
        {
            await start.WaitAsync(TimeSpan.FromSeconds(30), ct);
            await tx.Connection!.ExecuteAsync(new CommandDefinition(Increment, new { workId }, tx, cancellationToken: ct));
            transactions[workId] = await tx.Connection!.ExecuteScalarAsync<long>(new CommandDefinition("select txid_current()", transaction: tx, cancellationToken: ct));
        };
}
