using Accountability.Messaging.Database;
using Dapper;
using Npgsql;

namespace Accountability.Messaging.Inbox;

/// <summary>
/// Makes a consumer's effect happen once per message id: the inbox row, the domain change and
/// any outbox rows share one transaction. A redelivery meets the primary key and leaves nothing behind.
/// </summary>
public sealed class Inbox(ServiceDatabase database)
{
    /// <summary>
    /// Runs <paramref name="apply"/> in a transaction that also claims (consumer, messageId), and commits both.
    /// Returns false, with nothing written, when that message was already processed.
    /// </summary>
    /// <remarks>
    /// The claim comes last, sent with the COMMIT in one round trip, so a message costs one round trip less than a
    /// claim of its own before the work, and its transaction holds its locks one round trip less (docs/bench.md,
    /// twelfth round: on one machine this showed in no CPU figure; between hosts a round trip is a network's latency).
    /// The claim has no ON CONFLICT: a message already processed fails it with a unique violation, PostgreSQL skips the
    /// COMMIT behind it, and the whole transaction is rolled back. A redelivery therefore runs its work once more and
    /// throws it away: redeliveries are rare, and a work that fails because its effect is already there (another unique
    /// key, say) is recognised the same way, by asking the inbox after the rollback. A concurrent duplicate waits on the
    /// first one's locks or keys and then finds the claim taken.
    /// </remarks>
    /// <param name="withCommit">When given, asked after the work for statements to send in the claim's and COMMIT's round trip, before them, in order.</param>
    public async Task<bool> ProcessOnceAsync(
        string consumer, Guid messageId,
        Func<NpgsqlTransaction, CancellationToken, Task> apply,
        CancellationToken cancellationToken,
        Func<NpgsqlConnection, IReadOnlyList<NpgsqlBatchCommand>>? withCommit = null)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await apply(transaction, cancellationToken);
            await ClaimAndCommitAsync(connection, consumer, messageId, withCommit?.Invoke(connection), cancellationToken);
            return true;
        }
        catch (Exception failure) when (failure is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever failed, a message the inbox already holds was processed before: that is the answer, not the error.
            if (await RolledBackAndAlreadyProcessedAsync(connection, consumer, messageId))
                return false;
            throw;
        }
    }

    /// <summary>The claim and the COMMIT in one batch: if the claim fails, PostgreSQL skips the COMMIT and the transaction stays failed.</summary>
    private static async Task ClaimAndCommitAsync(
        NpgsqlConnection connection, string consumer, Guid messageId, IReadOnlyList<NpgsqlBatchCommand>? before, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var statement in before ?? [])
            batch.BatchCommands.Add(statement);
        batch.BatchCommands.Add(ForMessage("insert into inbox (consumer, message_id) values ($1, $2)", consumer, messageId));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Ends the transaction and asks whether the message was processed before, in one round trip. ROLLBACK ends a transaction
    /// still open or failed, and only warns when a failed COMMIT already ended it. False when the connection cannot answer:
    /// then the original failure stands.
    /// </summary>
    private static async Task<bool> RolledBackAndAlreadyProcessedAsync(NpgsqlConnection connection, string consumer, Guid messageId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("rollback"),
                    ForMessage("select exists (select 1 from inbox where consumer = $1 and message_id = $2)", consumer, messageId),
                },
            };
            // The scalar is the first row's: ROLLBACK returns none.
            return await batch.ExecuteScalarAsync(timeout.Token) is true;
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
    }

    private static NpgsqlBatchCommand ForMessage(string sql, string consumer, Guid messageId) =>
        new(sql) { Parameters = { new NpgsqlParameter { Value = consumer }, new NpgsqlParameter { Value = messageId } } };

    /// <summary>
    /// Claims many messages of one consumer at once in the caller's transaction (a batch consumer's form of
    /// <see cref="ProcessOnceAsync"/>), as a statement of a batch; its rows are the ids claimed now, the others were processed before.
    /// </summary>
    public static NpgsqlBatchCommand ClaimStatement(string consumer, IReadOnlyCollection<Guid> messageIds) =>
        BatchStatements.Of(ClaimSql, new { consumer, ids = messageIds.Distinct().ToArray() });

    private const string ClaimSql =
        """
        insert into inbox (consumer, message_id) select @consumer, id from unnest(@ids) as ids(id)
        on conflict do nothing returning message_id
        """;

    /// <summary>
    /// Claims messages of several inbox streams at once in the caller's transaction: the form of <see cref="ClaimStatement"/>
    /// for a consumer whose message types are streams of their own. Returns the (consumer, message id) pairs claimed now.
    /// </summary>
    public static async Task<IReadOnlySet<(string Consumer, Guid MessageId)>> ClaimAsync(
        NpgsqlTransaction transaction, IReadOnlyCollection<(string Consumer, Guid MessageId)> messages, CancellationToken cancellationToken)
    {
        var distinct = messages.Distinct().ToList();
        var claimed = await transaction.Connection!.QueryAsync<(string, Guid)>(new CommandDefinition(
            """
            insert into inbox (consumer, message_id) select m.consumer, m.id from unnest(@consumers, @ids) as m(consumer, id)
            on conflict do nothing returning consumer, message_id
            """,
            new { consumers = distinct.Select(m => m.Consumer).ToArray(), ids = distinct.Select(m => m.MessageId).ToArray() },
            transaction, cancellationToken: cancellationToken));
        return claimed.ToHashSet();
    }
}
