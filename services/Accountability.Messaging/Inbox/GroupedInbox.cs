using System.Runtime.ExceptionServices;
using Accountability.Messaging.Database;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Accountability.Messaging.Inbox;

/// <summary>
/// The inbox with group commit: the messages that arrive while one transaction is being written go together in the
/// next, whichever consumer took them (<see cref="CoalescingWriter{TItem, TResult}"/>). A group is one transaction: one
/// claim for all its messages, each message's work in turn, one COMMIT (with the statements saved up for it). Before, each message was a transaction and a
/// connection of its own, with a BEGIN, a claim and a COMMIT around a few statements of work. A message that arrives
/// alone waits Messaging:InboxGroupLinger for companions, then is processed as by <see cref="Inbox.ProcessOnceAsync"/>:
/// these consumers are off custody's path, and at a trickle a complaint's messages then share one transaction.
/// </summary>
/// <remarks>
/// For consumers whose work is a few statements on the database and nothing else: a group waits for each message's work
/// in turn, one round trip after another, so messages are spread over <see cref="Lanes"/> writers that each write their
/// own groups side by side; one writer for everything was bound by those round trips under a burst. A group that fails is rolled back whole and its messages are processed again one at a time, so one bad
/// message fails alone and its neighbours are still processed. The writes are not cancelled with the consumer: a write
/// commits or fails on its own, and a consumer that stopped waiting gets its message again, which the inbox then knows.
/// </remarks>
public sealed class GroupedInbox
{
    private readonly ServiceDatabase database;
    private readonly Inbox inbox;
    private readonly ILogger<GroupedInbox> logger;
    /// <summary>How many transactions may be written side by side: as many as two cores keep busy while each waits on round trips.</summary>
    public const int Lanes = 4;

    private readonly CoalescingWriter<Work, Outcome>[] lanes;
    private int next;

    public GroupedInbox(ServiceDatabase database, Inbox inbox, IOptions<MessagingOptions> options, ILogger<GroupedInbox> logger)
    {
        this.database = database;
        this.inbox = inbox;
        this.logger = logger;
        var linger = options.Value.InboxGroupLinger;
        lanes = [.. Enumerable.Range(0, Lanes).Select(_ => new CoalescingWriter<Work, Outcome>(WriteAsync, CancellationToken.None, linger, FullAt(options.Value)))];
    }

    /// <summary>
    /// How many gathered messages end a linger at once: half of one queue's prefetch. Under a backlog the consumers' prefetch
    /// stops more from coming until a group is written, so a group that waited for more waited out the whole linger: in
    /// `make bench`, notification's planning (three queues of 8) then ran one group per 50 ms and was the slowest stage.
    /// Half, as escalation's case events: the other half gathers the next group while this one is written.
    /// </summary>
    private static int FullAt(MessagingOptions options) => Math.Max(1, options.PrefetchCount / 2);

    /// <summary>
    /// Runs <paramref name="apply"/> once per (consumer, message id), in a transaction that also claims it, together with
    /// whatever other messages are waiting. False, with nothing written, when the message was processed before. Throws
    /// what the message's own work threw; <paramref name="cancellationToken"/> ends the wait, not the work.
    /// <paramref name="withCommit"/>, when given, is asked once per transaction, after the work of every message in it, however
    /// many of them name it (the same delegate), for the statements to send in the COMMIT's round trip, in order: for work that
    /// saves its writes up to write them in a few statements.
    /// </summary>
    public async Task<bool> ProcessOnceAsync(
        string consumer, Guid messageId, Func<NpgsqlTransaction, CancellationToken, Task> apply, CancellationToken cancellationToken,
        Func<NpgsqlConnection, IReadOnlyList<NpgsqlBatchCommand>>? withCommit = null)
    {
        // A lane that is gathering takes the message into its coming group; otherwise the lanes in turn, so under load
        // every lane gathers groups.
        var lane = Array.Find(lanes, l => l.Gathering) ?? lanes[(int)((uint)Interlocked.Increment(ref next) % Lanes)];
        var outcome = await lane.WriteAsync(new Work(consumer, messageId, apply, withCommit)).WaitAsync(cancellationToken);
        if (outcome.Failure is { } failure)
            ExceptionDispatchInfo.Throw(failure);
        return outcome.Processed;
    }

    private sealed record Work(
        string Consumer, Guid MessageId, Func<NpgsqlTransaction, CancellationToken, Task> Apply, Func<NpgsqlConnection, IReadOnlyList<NpgsqlBatchCommand>>? WithCommit);

    private sealed record Outcome(bool Processed, Exception? Failure = null);

    private Task<IReadOnlyList<Outcome>> WriteAsync(IReadOnlyList<Work> group, CancellationToken cancellationToken) =>
        GroupWrite.TogetherOrOneByOneAsync(group, together => ProcessTogetherAsync(together, cancellationToken),
            work => ProcessAloneAsync(work, cancellationToken), logger, "messages");

    private async Task<Outcome> ProcessAloneAsync(Work work, CancellationToken cancellationToken)
    {
        try
        {
            return new Outcome(await inbox.ProcessOnceAsync(work.Consumer, work.MessageId, work.Apply, cancellationToken, work.WithCommit));
        }
        catch (Exception exception)
        {
            return new Outcome(false, exception);
        }
    }

    private async Task<IReadOnlyList<Outcome>> ProcessTogetherAsync(IReadOnlyList<Work> group, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = await Inbox.ClaimAsync(transaction, [.. group.Select(w => (w.Consumer, w.MessageId))], cancellationToken);
        var processed = new bool[group.Count];
        var done = new HashSet<(string, Guid)>();
        for (var i = 0; i < group.Count; i++)
        {
            var key = (group[i].Consumer, group[i].MessageId);
            // A message delivered twice into one group is processed once: its second copy finds it done, as the inbox would.
            if (!claimed.Contains(key) || !done.Add(key))
                continue;
            await group[i].Apply(transaction, cancellationToken);
            processed[i] = true;
        }
        // The statements saved up for the end, and the COMMIT, in one round trip: if one fails, PostgreSQL skips the COMMIT.
        await using var commit = new NpgsqlBatch(connection);
        foreach (var withCommit in group.Where((w, i) => processed[i]).Select(w => w.WithCommit).OfType<Func<NpgsqlConnection, IReadOnlyList<NpgsqlBatchCommand>>>().Distinct())
            foreach (var statement in withCommit(connection))
                commit.BatchCommands.Add(statement);
        commit.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
        await commit.ExecuteNonQueryAsync(cancellationToken);
        return [.. processed.Select(p => new Outcome(p))];
    }
}
