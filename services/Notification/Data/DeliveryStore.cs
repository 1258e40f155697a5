using System.Text.Json;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Dapper;
using Npgsql;

namespace Accountability.Notification.Data;

/// <summary>Records planned deliveries as pending; the unique idempotency key absorbs any repeat.</summary>
public static class DeliveryStore
{
    /// <summary>
    /// A delivery planned in the transaction, with the trace it was planned in, and, for one of a member of staff's channels,
    /// the choice it belongs to: the channels planned together for one person and one piece of news.
    /// </summary>
    public sealed record Planned(PlannedDelivery Delivery, string? TraceParent, int? Choice);

    /// <summary>
    /// The statement that records the deliveries, each with the trace it was planned in (so the send later continues the trace
    /// that started at receipt); the planning inbox sends it with its COMMIT. A repeat, in the list or already recorded, is not
    /// recorded again.
    /// Of a choice, it keeps the channels the person prefers (person_preferences), all of them when they state no preference,
    /// and all of them when they prefer none they have: a preference for a channel without an address must not silence them.
    /// A complainant's delivery whose case is known here is not recorded when the case is anonymous, or opted out of news of
    /// its kind; one whose case is still unknown is due <see cref="PlannedDelivery.CaseWait"/> on: it waits for the filing,
    /// whose arrival makes it due (<see cref="CaseStore.AddStatement"/>), and the dispatcher looks at anonymity and opt-out then.
    /// </summary>
    public static NpgsqlBatchCommand RecordStatement(IReadOnlyList<Planned> deliveries) =>
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
            from unnest(@ids, @sourceKeys, @recipientKeys, @channels, @templates, @caseIds, @roles, @recipientIds, @parameters, @traceparents, @choices,
                        @survivesOptOut)
                 with ordinality as d(id, source_key, recipient_key, channel, template, case_id, recipient_role, recipient_id, parameters, traceparent,
                                      choice, survives_opt_out, position)
            left join person_preferences preferred on d.choice is not null and preferred.person_id = d.recipient_id
            where (d.choice is null or preferred.person_id is null or d.channel = any(preferred.channels)
                   or not exists (select 1 from unnest(@channels, @choices) as other(channel, choice)
                                  where other.choice = d.choice and other.channel = any(preferred.channels)))
              and not exists (select 1 from cases c
                              where d.recipient_role = 'complainant' and c.case_id = d.case_id
                                and (c.anonymous or (c.opted_out_at is not null and not d.survives_opt_out)))
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
                choices = deliveries.Select(d => d.Choice).ToArray(),
                survivesOptOut = deliveries.Select(d => Triggers.Get(d.Delivery.Template).SurvivesOptOut).ToArray(),
                caseWait = PlannedDelivery.CaseWait,
            });
}
