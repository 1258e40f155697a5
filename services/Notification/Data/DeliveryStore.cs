using System.Text.Json;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Accountability.Notification.Features.Planning;
using Dapper;
using Npgsql;

namespace Accountability.Notification.Data;

/// <summary>Records planned deliveries as pending; the unique idempotency key absorbs any repeat.</summary>
public static class DeliveryStore
{
    /// <summary>
    /// The statement that records the deliveries, each with the trace it was planned in (so the send later continues the trace
    /// that started at receipt); the planning inbox sends it with its COMMIT. A repeat, in the list or already recorded, is not
    /// recorded again.
    /// A complainant's delivery whose case is still unknown here is due <see cref="PlannedDelivery.CaseWait"/> on: it waits for
    /// the filing, whose arrival makes it due (<see cref="CaseStore.AddAsync"/>).
    /// </summary>
    public static NpgsqlBatchCommand RecordStatement(IReadOnlyList<(PlannedDelivery Delivery, string? TraceParent)> deliveries) =>
        BatchStatements.Of(
            """
            insert into deliveries (id, source_key, recipient_key, channel, template, case_id, recipient_role, recipient_id, parameters, status, traceparent,
                                    next_attempt_at)
            select d.id, d.source_key, d.recipient_key, d.channel, d.template, d.case_id, d.recipient_role, d.recipient_id, d.parameters::jsonb, 'pending',
                   d.traceparent,
                   -- Looked at now, at the transaction's end: a filing planned in it earlier has made its case known.
                   now() + case when d.recipient_role = 'complainant' and d.case_id is not null
                                     and not exists (select 1 from cases c where c.case_id = d.case_id)
                                then @caseWait else interval '0' end
            from unnest(@ids, @sourceKeys, @recipientKeys, @channels, @templates, @caseIds, @roles, @recipientIds, @parameters, @traceparents)
                 with ordinality as d(id, source_key, recipient_key, channel, template, case_id, recipient_role, recipient_id, parameters, traceparent,
                                      position)
            order by d.position
            on conflict (source_key, recipient_key, channel, template) do nothing
            """,
            new
            {
                ids = deliveries.Select(_ => Guid.CreateVersion7()).ToArray(),
                sourceKeys = deliveries.Select(d => d.Delivery.SourceKey).ToArray(),
                recipientKeys = deliveries.Select(d => d.Delivery.RecipientKey).ToArray(),
                channels = deliveries.Select(d => d.Delivery.Channel).ToArray(),
                templates = deliveries.Select(d => d.Delivery.Template).ToArray(),
                caseIds = deliveries.Select(d => d.Delivery.CaseId).ToArray(),
                roles = deliveries.Select(d => d.Delivery.RecipientRole).ToArray(),
                recipientIds = deliveries.Select(d => d.Delivery.RecipientPersonId).ToArray(),
                parameters = deliveries.Select(d => JsonSerializer.Serialize(d.Delivery.Parameters, OutboxMessage.Json)).ToArray(),
                traceparents = deliveries.Select(d => d.TraceParent).ToArray(),
                caseWait = PlannedDelivery.CaseWait,
            });
}
