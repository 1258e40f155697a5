using System.Diagnostics;
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

    /// <summary>For callers holding events as objects: the runtime type is the message type.</summary>
    public static async Task<Guid> EnqueueAsync(
        NpgsqlTransaction transaction, object message, Type messageType, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<string, string>? extraHeaders = null)
    {
        var messageId = Guid.CreateVersion7();
        var headers = new Dictionary<string, string>(extraHeaders ?? new Dictionary<string, string>());
        // The producer's trace rides along, so the relay can publish as a child of it.
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity)
        {
            headers[TraceParentHeader] = activity.Id!;
            if (!string.IsNullOrEmpty(activity.TraceStateString))
                headers[TraceStateHeader] = activity.TraceStateString;
        }

        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into outbox (message_id, message_type, body, headers)
            values (@MessageId, @MessageType, @Body::jsonb, @Headers::jsonb)
            """,
            new
            {
                MessageId = messageId,
                MessageType = OutboxMessage.TypeName(messageType),
                Body = JsonSerializer.Serialize(message, messageType, OutboxMessage.Json),
                Headers = JsonSerializer.Serialize(headers, OutboxMessage.Json),
            },
            transaction,
            cancellationToken: cancellationToken));
        return messageId;
    }
}
