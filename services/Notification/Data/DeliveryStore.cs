using System.Diagnostics;
using System.Text.Json;
using Accountability.Messaging.Outbox;
using Accountability.Notification.Features.Planning;
using Dapper;
using Npgsql;

namespace Accountability.Notification.Data;

/// <summary>Records planned deliveries as pending; the unique idempotency key absorbs any repeat.</summary>
public static class DeliveryStore
{
    /// <summary>Returns how many of the deliveries were new.</summary>
    public static async Task<int> RecordAsync(NpgsqlTransaction transaction, IEnumerable<PlannedDelivery> deliveries, CancellationToken cancellationToken)
    {
        var recorded = 0;
        // The consumer's trace, so the send later continues the trace that started at receipt.
        var traceparent = Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null;
        foreach (var delivery in deliveries)
            recorded += await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                insert into deliveries (id, source_key, recipient_key, channel, template, case_id, recipient_role, recipient_id, parameters, status, traceparent,
                                        next_attempt_at)
                values (@Id, @SourceKey, @RecipientKey, @Channel, @Template, @CaseId, @RecipientRole, @RecipientPersonId, @Parameters::jsonb, 'pending', @traceparent,
                        now() + case when @WaitsForCase then @caseWait else interval '0' end)
                on conflict (source_key, recipient_key, channel, template) do nothing
                """,
                new
                {
                    Id = Guid.CreateVersion7(),
                    delivery.SourceKey,
                    delivery.RecipientKey,
                    delivery.Channel,
                    delivery.Template,
                    delivery.CaseId,
                    delivery.RecipientRole,
                    delivery.RecipientPersonId,
                    Parameters = JsonSerializer.Serialize(delivery.Parameters, OutboxMessage.Json),
                    traceparent,
                    delivery.WaitsForCase,
                    caseWait = PlannedDelivery.CaseWait,
                }, transaction, cancellationToken: cancellationToken));
        return recorded;
    }
}
