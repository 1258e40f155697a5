using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>
/// The inbox claims a message together with the COMMIT, after the work: these pin down that a message's effect still
/// happens once, whatever the work does when it runs a second time.
/// </summary>
public sealed class InboxTests
{
    private const string Increment =
        "insert into effects (work_id, applied) values (@workId, 1) on conflict (work_id) do update set applied = effects.applied + 1";

    [Fact]
    public async Task A_message_processed_twice_applies_its_work_once_and_the_second_time_reports_a_duplicate()
    {
        await using var host = await MessagingTestHost.StartAsync();
        var inbox = host.Services.GetRequiredService<Inbox.Inbox>();
        var (messageId, workId) = (Guid.NewGuid(), Guid.NewGuid());

        var first = await inbox.ProcessOnceAsync("test", messageId, (tx, ct) => tx.Connection!.ExecuteAsync(new CommandDefinition(Increment, new { workId }, tx, cancellationToken: ct)), default);
        // The work itself is not idempotent: only the rollback of the duplicate keeps it at one.
        var second = await inbox.ProcessOnceAsync("test", messageId, (tx, ct) => tx.Connection!.ExecuteAsync(new CommandDefinition(Increment, new { workId }, tx, cancellationToken: ct)), default);

        Assert.True(first);
        Assert.False(second);
        Assert.Equal(1, await host.CountAsync("select applied from effects where work_id = @workId", new { workId }));
        Assert.Equal(1, await host.CountAsync("select count(*) from inbox where consumer = 'test' and message_id = @messageId", new { messageId }));
        // The connection went back to the pool usable, with no transaction left open.
        Assert.True(await inbox.ProcessOnceAsync("test", Guid.NewGuid(), (_, _) => Task.CompletedTask, default));
    }

    [Fact]
    public async Task A_duplicate_whose_work_fails_on_its_own_earlier_effect_is_still_reported_as_a_duplicate_not_an_error()
    {
        await using var host = await MessagingTestHost.StartAsync();
        var inbox = host.Services.GetRequiredService<Inbox.Inbox>();
        var (messageId, workId) = (Guid.NewGuid(), Guid.NewGuid());
        // A plain insert: the second run hits the table's own key before it reaches the claim.
        Task Apply(NpgsqlTransaction tx, CancellationToken ct) => tx.Connection!.ExecuteAsync(new CommandDefinition(
            "insert into effects (work_id, applied) values (@workId, 1)", new { workId }, tx, cancellationToken: ct));

        Assert.True(await inbox.ProcessOnceAsync("test", messageId, Apply, default));
        Assert.False(await inbox.ProcessOnceAsync("test", messageId, Apply, default));

        // The same failure for a message never processed is an error, and leaves nothing behind.
        var other = Guid.NewGuid();
        var failure = await Assert.ThrowsAsync<PostgresException>(() => inbox.ProcessOnceAsync("test", other, Apply, default));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, failure.SqlState);
        Assert.Equal(0, await host.CountAsync("select count(*) from inbox where message_id = @other", new { other }));
    }

    [Fact]
    public async Task Work_that_fails_rolls_back_with_its_claim_and_the_message_can_be_processed_later()
    {
        await using var host = await MessagingTestHost.StartAsync();
        var inbox = host.Services.GetRequiredService<Inbox.Inbox>();
        var (messageId, workId) = (Guid.NewGuid(), Guid.NewGuid());

        await Assert.ThrowsAsync<InvalidOperationException>(() => inbox.ProcessOnceAsync("test", messageId, async (tx, ct) =>
        {
            await tx.Connection!.ExecuteAsync(new CommandDefinition(Increment, new { workId }, tx, cancellationToken: ct));
            throw new InvalidOperationException("the work gave up half way");
        }, default));
        Assert.Equal(0, await host.CountAsync("select count(*) from effects where work_id = @workId", new { workId }));

        Assert.True(await inbox.ProcessOnceAsync("test", messageId, (tx, ct) => tx.Connection!.ExecuteAsync(new CommandDefinition(Increment, new { workId }, tx, cancellationToken: ct)), default));
        Assert.Equal(1, await host.CountAsync("select applied from effects where work_id = @workId", new { workId }));
    }

    [Fact]
    public async Task Two_deliveries_of_one_message_at_once_apply_its_work_once()
    {
        await using var host = await MessagingTestHost.StartAsync();
        var inbox = host.Services.GetRequiredService<Inbox.Inbox>();
        var (messageId, workId) = (Guid.NewGuid(), Guid.NewGuid());
        using var bothInside = new Barrier(2);

        // Both run their work before either claims: the second waits on the first's row, then finds the claim taken.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => inbox.ProcessOnceAsync("test", messageId, async (tx, ct) =>
        {
            bothInside.SignalAndWait(TimeSpan.FromSeconds(10), ct);
            await tx.Connection!.ExecuteAsync(new CommandDefinition(Increment, new { workId }, tx, cancellationToken: ct));
        }, default))));

        Assert.Equal(1, outcomes.Count(processed => processed));
        Assert.Equal(1, await host.CountAsync("select applied from effects where work_id = @workId", new { workId }));
    }
}
