using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Notification.Consumers;

/// <summary>
/// Routing chose a unit: the complainant hears which unit (never which person) looks into it, and the new owner hears of
/// the case. The owner's news is the routed transfer's, which always follows this event at the next version with the same
/// reason and owner; planned here under that transfer's key, the broker need not bring notification the transfer (one
/// delivery a complaint less), and a transfer that still comes (a broker that kept an older binding) plans the same
/// delivery, which is recorded once.
/// </summary>
public sealed class CaseRoutedConsumer(NotifyingInbox inbox, Notifier notifier, IOptions<NotificationOptions> options) : IConsumer<CaseRouted>
{
    public Task Consume(ConsumeContext<CaseRouted> context)
    {
        var routed = context.Message;
        System.Diagnostics.Activity.Current.TagCase(routed.CaseId, "notify-routed", routed.ToOwnerKind, routed.ToOwnerId);
        return inbox.ProcessOnceAsync(nameof(CaseRoutedConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            notifier.KeepUnit(transaction, routed.CaseId, routed.UnitId);
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            var unitName = chart?.Unit(routed.UnitId)?.Name ?? options.Value.DepartmentName;
            await notifier.ToComplainantAsync(transaction, routed.CaseId, Triggers.Routed,
                PlannedDelivery.CaseEvent(routed.CaseId, routed.CaseVersion),
                new Dictionary<string, string> { ["unitName"] = unitName }, cancellationToken);
            await notifier.ToStaffAsync(transaction, chart, chart?.AccountablePerson(routed.ToOwnerKind, routed.ToOwnerId) ?? routed.ToOwnerId,
                routed.CaseId, Triggers.Assignment, PlannedDelivery.CaseEvent(routed.CaseId, routed.CaseVersion + 1),
                CustodyTransferredConsumer.AssignmentParameters(routed.Reason, TransferKinds.Routed), cancellationToken);
        }, context.CancellationToken);
    }
}

public sealed class CaseRoutedConsumerDefinition : RetryingConsumerDefinition<CaseRoutedConsumer>;
