using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>Someone is asked to take a case: they (or their unit's commander) hear of the request.</summary>
public sealed class HandoffRequestedConsumer(NotifyingInbox inbox, Notifier notifier) : IConsumer<HandoffRequested>
{
    public Task Consume(ConsumeContext<HandoffRequested> context)
    {
        var handoff = context.Message;
        System.Diagnostics.Activity.Current.TagCase(handoff.CaseId, "notify-handoff-request", handoff.FromOwnerKind, handoff.FromOwnerId);
        return inbox.ProcessOnceAsync(nameof(HandoffRequestedConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            var receiver = chart?.AccountablePerson(handoff.ToOwnerKind, handoff.ToOwnerId) ?? handoff.ToOwnerId;
            await notifier.ToStaffAsync(transaction, chart, receiver, handoff.CaseId, Triggers.HandoffRequest,
                PlannedDelivery.CaseEvent(handoff.CaseId, handoff.CaseVersion), new Dictionary<string, string>
                {
                    ["reason"] = handoff.Reason,
                    ["fromOwner"] = chart?.NameOf(handoff.FromOwnerKind, handoff.FromOwnerId) ?? handoff.FromOwnerId,
                }, cancellationToken);
        }, context.CancellationToken);
    }
}

public sealed class HandoffRequestedConsumerDefinition : RetryingConsumerDefinition<HandoffRequestedConsumer>;
