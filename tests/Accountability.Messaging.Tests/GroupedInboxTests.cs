using System.Collections.Concurrent;
using Accountability.Messaging.Inbox;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>
/// The grouped inbox: messages that arrive while a transaction is being written share the next one, each applied once.
/// The first message's work is held until the others have arrived, so that they are known to wait together.
/// </summary>
public sealed class GroupedInboxTests
{
    private const string Increment =
        "insert into effects (work_id, applied) values (@workId, 1) on conflict (work_id) do update set applied = effects.applied + 1";

    [Fact]
    public async Task Messages_of_several_consumers_that_arrive_together_are_applied_in_one_transaction_and_a_second_delivery_applies_nothing()
    {
        await using var host = await MessagingTestHost.StartAsync();
        var inbox = host.Services.GetRequiredService<GroupedInbox>();
        var transactions = new ConcurrentDictionary<Guid, long>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Message("first-consumer");
        var rest = Enumerable.Range(0, 6).Select(i => Message($"consumer-{i % 3}")).ToList();

        var firstDone = inbox.ProcessOnceAsync(first.Consumer, first.MessageId, ApplyAfter(release.Task, first.WorkId, transactions), default);
        // Its write is under way and held: the rest wait for the next.
        var restDone = rest.Select(m => inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default)).ToList();
        release.SetResult();

        Assert.True(await firstDone);
        Assert.All(await Task.WhenAll(restDone), Assert.True);
        Assert.Single(rest.Select(m => transactions[m.WorkId]).Distinct());
        Assert.NotEqual(transactions[first.WorkId], transactions[rest[0].WorkId]);

        // Delivered again, together: nothing is applied twice.
        var again = await Task.WhenAll(rest.Select(m => inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default)));
        Assert.All(again, Assert.False);
        Assert.All(await host.EffectsAsync(), effect => Assert.Equal(1, effect.Value));
        Assert.Equal(7, (await host.EffectsAsync()).Count);
    }

    [Fact]
    public async Task A_message_whose_work_fails_fails_alone_and_the_messages_that_arrived_with_it_are_applied()
    {
        await using var host = await MessagingTestHost.StartAsync();
        var inbox = host.Services.GetRequiredService<GroupedInbox>();
        var transactions = new ConcurrentDictionary<Guid, long>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Message("test");
        var good = Enumerable.Range(0, 4).Select(_ => Message("test")).ToList();
        var bad = Message("test");

        var firstDone = inbox.ProcessOnceAsync(first.Consumer, first.MessageId, ApplyAfter(release.Task, first.WorkId, transactions), default);
        var goodDone = good.Take(2).Select(m => inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default)).ToList();
        // The bad one writes its effect, then breaks the transaction it shares with the others.
        var badDone = inbox.ProcessOnceAsync(bad.Consumer, bad.MessageId, async (tx, ct) =>
        {
            await tx.Connection!.ExecuteAsync(new CommandDefinition(Increment, new { workId = bad.WorkId }, tx, cancellationToken: ct));
            await tx.Connection!.ExecuteAsync(new CommandDefinition("select 1 / 0", transaction: tx, cancellationToken: ct));
        }, default);
        goodDone.AddRange(good.Skip(2).Select(m => inbox.ProcessOnceAsync(m.Consumer, m.MessageId, ApplyAfter(Task.CompletedTask, m.WorkId, transactions), default)));
        release.SetResult();

        Assert.True(await firstDone);
        Assert.All(await Task.WhenAll(goodDone), Assert.True);
        var failure = await Assert.ThrowsAsync<PostgresException>(() => badDone);
        Assert.Equal(PostgresErrorCodes.DivisionByZero, failure.SqlState);
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
        await using var host = await MessagingTestHost.StartAsync();
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

    private static (string Consumer, Guid MessageId, Guid WorkId) Message(string consumer) => (consumer, Guid.NewGuid(), Guid.NewGuid());

    /// <summary>Work that waits for <paramref name="start"/>, applies its effect and notes the transaction it ran in.</summary>
    private static Func<NpgsqlTransaction, CancellationToken, Task> ApplyAfter(Task start, Guid workId, ConcurrentDictionary<Guid, long> transactions) =>
        async (tx, ct) =>
        {
            await start.WaitAsync(TimeSpan.FromSeconds(30), ct);
            await tx.Connection!.ExecuteAsync(new CommandDefinition(Increment, new { workId }, tx, cancellationToken: ct));
            transactions[workId] = await tx.Connection!.ExecuteScalarAsync<long>(new CommandDefinition("select txid_current()", transaction: tx, cancellationToken: ct));
        };
}
