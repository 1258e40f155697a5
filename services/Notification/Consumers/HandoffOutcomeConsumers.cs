using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>
/// A handoff ended (accepted, declined, expired or cancelled): the owner who asked hears how. Four
/// events with the same shape, so one consumer class serves them all from one queue.
/// </summary>
public sealed class HandoffOutcomeConsumer(NotifyingInbox inbox, Notifier notifier) :
    IConsumer<HandoffAccepted>, IConsumer<HandoffDeclined>, IConsumer<HandoffExpired>, IConsumer<HandoffCancelled>
{
    public Task Consume(ConsumeContext<HandoffAccepted> context) =>
        NotifyAsync(context, "accepted", context.Message.CaseId, context.Message.CaseVersion, context.Message.Actor, context.Message.Reason,
            context.Message.FromOwnerKind, context.Message.FromOwnerId, context.Message.ToOwnerKind, context.Message.ToOwnerId);

    public Task Consume(ConsumeContext<HandoffDeclined> context) =>
        NotifyAsync(context, "declined", context.Message.CaseId, context.Message.CaseVersion, context.Message.Actor, context.Message.Reason,
            context.Message.FromOwnerKind, context.Message.FromOwnerId, context.Message.ToOwnerKind, context.Message.ToOwnerId);

    public Task Consume(ConsumeContext<HandoffExpired> context) =>
        NotifyAsync(context, "expired", context.Message.CaseId, context.Message.CaseVersion, context.Message.Actor, context.Message.Reason,
            context.Message.FromOwnerKind, context.Message.FromOwnerId, context.Message.ToOwnerKind, context.Message.ToOwnerId);

    public Task Consume(ConsumeContext<HandoffCancelled> context) =>
        NotifyAsync(context, "cancelled", context.Message.CaseId, context.Message.CaseVersion, context.Message.Actor, context.Message.Reason,
            context.Message.FromOwnerKind, context.Message.FromOwnerId, context.Message.ToOwnerKind, context.Message.ToOwnerId);

    private Task NotifyAsync(
        ConsumeContext context, string outcome, Guid caseId, long caseVersion, string actor, string reason,
        string fromKind, string fromId, string toKind, string toId)
    {
        System.Diagnostics.Activity.Current.TagCase(caseId, "notify-handoff-" + outcome, fromKind, fromId);
        return inbox.ProcessOnceAsync($"{nameof(HandoffOutcomeConsumer)}:{outcome}", context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            var requester = chart?.AccountablePerson(fromKind, fromId) ?? fromId;
            // Who withdrew their own request needs no message about it.
            if (outcome == "cancelled" && actor == requester)
                return;
            await notifier.ToStaffAsync(transaction, requester, caseId, Triggers.HandoffOutcome,
                PlannedDelivery.CaseEvent(caseId, caseVersion), new Dictionary<string, string>
                {
                    ["reason"] = reason,
                    ["outcome"] = outcome,
                    ["toOwner"] = chart?.NameOf(toKind, toId) ?? toId,
                }, cancellationToken);
        }, context.CancellationToken);
    }
}

public sealed class HandoffOutcomeConsumerDefinition : RetryingConsumerDefinition<HandoffOutcomeConsumer>;
