using System.Diagnostics;
using Accountability.Messaging.Database;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace Accountability.Messaging.Outbox;

/// <summary>
/// Writes messages into the outbox inside the caller's transaction, so a message exists
/// exactly when the domain change that produced it exists.
/// </summary>
public static class OutboxWriter
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    /// <summary>Enqueues one message; returns its message id (also the broker MessageId).</summary>
    public static Task<Guid> EnqueueAsync<T>(
        NpgsqlTransaction transaction, T message, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<string, string>? extraHeaders = null) where T : class =>
        EnqueueAsync(transaction, message, typeof(T), cancellationToken, extraHeaders);

    /// <summary>
    /// Enqueues several messages, each under its runtime type, in one statement; the relay publishes them in this order.
    /// Returns their message ids, in the same order.
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> EnqueueAllAsync(
        NpgsqlTransaction transaction, IReadOnlyList<object> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 1)
            return [await EnqueueAsync(transaction, messages[0], messages[0].GetType(), cancellationToken)];
        var producer = Activity.Current;
        return await EnqueueAllAsync(transaction, [.. messages.Select(m => (m, producer))], cancellationToken);
    }

    /// <summary>
    /// Enqueues the messages of several producers in one statement, each under its runtime type and with its own producer's
    /// trace (a group commit writes for many consumers at once); the relay publishes them in this order.
    /// Returns their message ids, in the same order.
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> EnqueueAllAsync(
        NpgsqlTransaction transaction, IReadOnlyList<(object Message, Activity? Producer)> messages, CancellationToken cancellationToken = default)
    {
        var rows = RowsFor(messages);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(InsertAllSql, InsertAllParameters(rows), transaction, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.MessageId)];
    }

    /// <summary>The outbox rows of messages with their producers' traces, for a caller that inserts them with <see cref="InsertAllStatement"/>.</summary>
    public static IReadOnlyList<OutboxRow> RowsFor(IReadOnlyList<(object Message, Activity? Producer)> messages) =>
        [.. messages.Select(m => new OutboxRow(Guid.CreateVersion7(), OutboxMessage.TypeName(m.Message.GetType()),
            JsonSerializer.Serialize(m.Message, m.Message.GetType(), OutboxMessage.Json),
            JsonSerializer.Serialize(HeadersOf(null, m.Producer), OutboxMessage.Json)))];

    /// <summary>Inserts rows in one statement of a batch, in their order.</summary>
    public static NpgsqlBatchCommand InsertAllStatement(IReadOnlyList<OutboxRow> rows) => BatchStatements.Of(InsertAllSql, InsertAllParameters(rows));

    /// <summary>For callers holding events as objects: the runtime type is the message type.</summary>
    public static async Task<Guid> EnqueueAsync(
        NpgsqlTransaction transaction, object message, Type messageType, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<string, string>? extraHeaders = null)
    {
        var row = RowFor(message, messageType, extraHeaders);
        await InsertAsync(transaction, row, cancellationToken);
        return row.MessageId;
    }

    /// <summary>Inserts a row made by <see cref="RowFor"/>.</summary>
    public static Task InsertAsync(NpgsqlTransaction transaction, OutboxRow row, CancellationToken cancellationToken = default) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into outbox (message_id, message_type, body, headers)
            values (@MessageId, @MessageType, @Body::jsonb, @Headers::jsonb)
            """,
            row,
            transaction,
            cancellationToken: cancellationToken));

    /// <summary>Inserts rows in one statement, in their order (which the relay publishes them in).</summary>
    private const string InsertAllSql =
        """
        insert into outbox (message_id, message_type, body, headers)
        select m.message_id, m.message_type, m.body::jsonb, m.headers::jsonb
        from unnest(@MessageIds, @MessageTypes, @Bodies, @Headers) with ordinality as m(message_id, message_type, body, headers, position)
        order by m.position
        """;

    private static object InsertAllParameters(IReadOnlyList<OutboxRow> rows) => new
    {
        MessageIds = rows.Select(r => r.MessageId).ToArray(),
        MessageTypes = rows.Select(r => r.MessageType).ToArray(),
        Bodies = rows.Select(r => r.Body).ToArray(),
        Headers = rows.Select(r => r.Headers).ToArray(),
    };

    /// <summary>
    /// The outbox row for <paramref name="message"/>, with the current trace in its headers, for a caller that inserts it in
    /// its own statement: one whose insert must happen exactly when another change in that statement does. Insert it as
    /// <c>insert into outbox (message_id, message_type, body, headers) values (@MessageId, @MessageType, @Body::jsonb, @Headers::jsonb)</c>.
    /// </summary>
    public static OutboxRow RowFor(object message, Type messageType, IReadOnlyDictionary<string, string>? extraHeaders = null) =>
        new(Guid.CreateVersion7(), OutboxMessage.TypeName(messageType),
            JsonSerializer.Serialize(message, messageType, OutboxMessage.Json),
            JsonSerializer.Serialize(HeadersOf(extraHeaders), OutboxMessage.Json));

    private static Dictionary<string, string> HeadersOf(IReadOnlyDictionary<string, string>? extraHeaders) =>
        HeadersOf(extraHeaders, Activity.Current);

    private static Dictionary<string, string> HeadersOf(IReadOnlyDictionary<string, string>? extraHeaders, Activity? producer)
    {
        var headers = new Dictionary<string, string>(extraHeaders ?? new Dictionary<string, string>());
        // The producer's trace rides along, so the relay can publish as a child of it.
        if (producer is { IdFormat: ActivityIdFormat.W3C } activity)
        {
            headers[TraceParentHeader] = activity.Id!;
            if (!string.IsNullOrEmpty(activity.TraceStateString))
                headers[TraceStateHeader] = activity.TraceStateString;
        }
        return headers;
    }
}

/// <summary>A message as the outbox stores it (<see cref="OutboxWriter.RowFor"/>).</summary>
public sealed record OutboxRow(Guid MessageId, string MessageType, string Body, string Headers);
