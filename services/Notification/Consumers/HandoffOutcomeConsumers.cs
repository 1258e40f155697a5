using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>
/// A handoff ended (accepted, declined, expired or cancelled): the owner hears how, and so does whoever asked for it when
/// that was someone else (a dispatcher, or the owner's chain). Four events with the same shape, so one consumer class
/// serves them all from one queue.
/// </summary>
public sealed class HandoffOutcomeConsumer(NotifyingInbox inbox, Notifier notifier) :
    IConsumer<HandoffAccepted>, IConsumer<HandoffDeclined>, IConsumer<HandoffExpired>, IConsumer<HandoffCancelled>
{
    public Task Consume(ConsumeContext<HandoffAccepted> context) =>
        NotifyAsync(context, "accepted", context.Message.CaseId, context.Message.CaseVersion, context.Message.Actor, context.Message.Reason,
            context.Message.FromOwnerKind, context.Message.FromOwnerId, context.Message.ToOwnerKind, context.Message.ToOwnerId, context.Message.RequestedBy);

    public Task Consume(ConsumeContext<HandoffDeclined> context) =>
        NotifyAsync(context, "declined", context.Message.CaseId, context.Message.CaseVersion, context.Message.Actor, context.Message.Reason,
            context.Message.FromOwnerKind, context.Message.FromOwnerId, context.Message.ToOwnerKind, context.Message.ToOwnerId, context.Message.RequestedBy);

    public Task Consume(ConsumeContext<HandoffExpired> context) =>
        NotifyAsync(context, "expired", context.Message.CaseId, context.Message.CaseVersion, context.Message.Actor, context.Message.Reason,
            context.Message.FromOwnerKind, context.Message.FromOwnerId, context.Message.ToOwnerKind, context.Message.ToOwnerId, context.Message.RequestedBy);

    public Task Consume(ConsumeContext<HandoffCancelled> context) =>
        NotifyAsync(context, "cancelled", context.Message.CaseId, context.Message.CaseVersion, context.Message.Actor, context.Message.Reason,
            context.Message.FromOwnerKind, context.Message.FromOwnerId, context.Message.ToOwnerKind, context.Message.ToOwnerId, context.Message.RequestedBy);

    private Task NotifyAsync(
        ConsumeContext context, string outcome, Guid caseId, long caseVersion, string actor, string reason,
        string fromKind, string fromId, string toKind, string toId, string? requestedBy)
    {
        System.Diagnostics.Activity.Current.TagCase(caseId, "notify-handoff-" + outcome, fromKind, fromId);
        return inbox.ProcessOnceAsync($"{nameof(HandoffOutcomeConsumer)}:{outcome}", context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            var owner = chart?.AccountablePerson(fromKind, fromId) ?? fromId;
            // Events from before RequestedBy was carried: the owner is taken to have asked, as before.
            var requester = string.IsNullOrEmpty(requestedBy) || requestedBy.StartsWith("system:", StringComparison.Ordinal) ? owner : requestedBy;
            var toOwner = chart?.NameOf(toKind, toId) ?? toId;
            var custodyLine = outcome == "accepted"
                ? $"The case is now with {toOwner}."
                : $"The case stays with {chart?.NameOf(fromKind, fromId) ?? fromId}.";
            foreach (var (recipient, role) in requester == owner
                         ? [(owner, Triggers.Roles.Owner)]
                         : new[] { (owner, Triggers.Roles.Owner), (requester, Triggers.Roles.Requester) })
            {
                // Who withdrew the request themselves needs no message about it.
                if (outcome == "cancelled" && actor == recipient)
                    continue;
                await notifier.ToStaffAsync(transaction, chart, recipient, caseId, Triggers.HandoffOutcome,
                    PlannedDelivery.CaseEvent(caseId, caseVersion), new Dictionary<string, string>
                    {
                        ["reason"] = reason,
                        ["outcome"] = outcome,
                        ["toOwner"] = toOwner,
                        ["askedBy"] = recipient == requester ? "you" : chart?.NameOf("person", requester) ?? requester,
                        ["custodyLine"] = custodyLine,
                    }, cancellationToken, role);
            }
        }, context.CancellationToken);
    }
}

public sealed class HandoffOutcomeConsumerDefinition : RetryingConsumerDefinition<HandoffOutcomeConsumer>;
