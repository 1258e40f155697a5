using System.Collections.Concurrent;
using System.Diagnostics;
using Accountability.Messaging.Bus;
using Accountability.Messaging.Inbox;
using Accountability.TestSupport.Messages;
using Dapper;
using MassTransit;

namespace Accountability.Messaging.Tests;

/// <summary>What the consumer saw: every delivery (duplicates included) and the trace it ran in.</summary>
public sealed class DeliveryLog(string run)
{
    public string Run { get; } = run;

    public ConcurrentDictionary<Guid, int> Deliveries { get; } = new();

    public ConcurrentDictionary<Guid, ActivityTraceId> TraceIds { get; } = new();

    public int Total => Deliveries.Values.Sum();
}

/// <summary>Applies a work item's effect once, through the inbox; throws on a poison item.</summary>
public sealed class WorkItemConsumer(Inbox.Inbox inbox, DeliveryLog log) : IConsumer<WorkItemDone>
{
    public async Task Consume(ConsumeContext<WorkItemDone> context)
    {
        var message = context.Message;
        if (message.Run != log.Run)
            return; // another test's message on the shared exchange
        log.Deliveries.AddOrUpdate(message.WorkId, 1, (_, n) => n + 1);
        if (Activity.Current is { } activity)
            log.TraceIds[message.WorkId] = activity.TraceId;
        if (message.Poison)
            throw new InvalidOperationException($"Work item {message.WorkId} is poison.");

        await inbox.ProcessOnceAsync(nameof(WorkItemConsumer), context.RequireMessageId(), (transaction, cancellationToken) =>
            transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                insert into effects (work_id, applied) values (@WorkId, 1)
                on conflict (work_id) do update set applied = effects.applied + 1
                """, new { message.WorkId }, transaction, cancellationToken: cancellationToken)),
            context.CancellationToken);
    }
}

public sealed class WorkItemConsumerDefinition : RetryingConsumerDefinition<WorkItemConsumer>;
