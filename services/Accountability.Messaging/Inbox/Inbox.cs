using Accountability.Messaging.Database;
using Dapper;
using Npgsql;

namespace Accountability.Messaging.Inbox;

/// <summary>
/// Makes a consumer's effect happen once per message id: the inbox row, the domain change and
/// any outbox rows share one transaction. A redelivery hits the primary key and does nothing.
/// </summary>
public sealed class Inbox(ServiceDatabase database)
{
    /// <summary>
    /// Runs <paramref name="apply"/> in a transaction that first claims (consumer, messageId).
    /// Returns false, without running it, when that message was already processed.
    /// </summary>
    public async Task<bool> ProcessOnceAsync(
        string consumer, Guid messageId,
        Func<NpgsqlTransaction, CancellationToken, Task> apply,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // A concurrent duplicate blocks on the key until the first commits, then conflicts.
        var claimed = await connection.ExecuteAsync(new CommandDefinition(
            "insert into inbox (consumer, message_id) values (@consumer, @messageId) on conflict do nothing",
            new { consumer, messageId }, transaction, cancellationToken: cancellationToken));
        if (claimed == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        await apply(transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Claims many messages at once in the caller's transaction (a batch consumer's form of
    /// <see cref="ProcessOnceAsync"/>). Returns the ids claimed now; the others were processed before.
    /// </summary>
    public static async Task<IReadOnlySet<Guid>> ClaimAsync(
        NpgsqlTransaction transaction, string consumer, IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken)
    {
        var claimed = await transaction.Connection!.QueryAsync<Guid>(new CommandDefinition(
            """
            insert into inbox (consumer, message_id) select @consumer, id from unnest(@ids) as ids(id)
            on conflict do nothing returning message_id
            """, new { consumer, ids = messageIds.Distinct().ToArray() }, transaction, cancellationToken: cancellationToken));
        return claimed.ToHashSet();
    }
}
