using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>
/// Custody moved. The new owner hears of the assignment; on an escalation the supervisor who now
/// holds the case hears of the escalation instead (once, with EscalationRaised: they share a key).
/// </summary>
public sealed class CustodyTransferredConsumer(NotifyingInbox inbox, Notifier notifier) : IConsumer<CustodyTransferred>
{
    public Task Consume(ConsumeContext<CustodyTransferred> context)
    {
        var transfer = context.Message;
        System.Diagnostics.Activity.Current.TagCase(transfer.CaseId, "notify-transfer", transfer.ToOwnerKind, transfer.ToOwnerId);
        // The intake desk's first interval is not news to anyone: the receipt covers it. The broker only brings one here
        // from a publisher that is not yet upgraded (see the definition).
        if (transfer.TransferKind == TransferKinds.Received)
            return Task.CompletedTask;

        var sourceKey = PlannedDelivery.CaseEvent(transfer.CaseId, transfer.CaseVersion);
        return inbox.ProcessOnceAsync(nameof(CustodyTransferredConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            var recipient = chart?.AccountablePerson(transfer.ToOwnerKind, transfer.ToOwnerId) ?? transfer.ToOwnerId;
            var fromOwner = transfer.FromOwnerId is null ? "the intake desk" : chart?.NameOf(transfer.FromOwnerKind ?? "person", transfer.FromOwnerId) ?? transfer.FromOwnerId;
            if (transfer.TransferKind == "escalated")
            {
                var level = transfer.EscalationLevel ?? 1;
                await notifier.ToStaffAsync(transaction, chart, recipient, transfer.CaseId, Triggers.Escalation,
                    PlannedDelivery.Escalation(transfer.CaseId, level, recipient), new Dictionary<string, string>
                    {
                        ["reason"] = transfer.Reason,
                        ["level"] = level.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["fromOwner"] = fromOwner,
                    }, cancellationToken);
                return;
            }
            await notifier.ToStaffAsync(transaction, chart, recipient, transfer.CaseId, Triggers.Assignment, sourceKey,
                AssignmentParameters(transfer.Reason, transfer.TransferKind), cancellationToken);
        }, context.CancellationToken);
    }

    /// <summary>What the new owner's news says: the same whether planned from the transfer or, when routed, from <see cref="CaseRoutedConsumer"/>.</summary>
    public static Dictionary<string, string> AssignmentParameters(string reason, string transferKind) => new()
    {
        ["reason"] = reason,
        ["transferKind"] = PlainWords.Transfer(transferKind),
    };
}

/// <summary>
/// Bound to every kind but received and routed (<see cref="CustodyTransferRouting"/>): routing's news comes with
/// <see cref="CaseRoutedConsumer"/>. A routed transfer that still arrives (by the binding an older version made, which this
/// one leaves for instances still on that version) plans the same delivery under the same key, recorded once.
/// </summary>
public sealed class CustodyTransferredConsumerDefinition : RetryingConsumerDefinition<CustodyTransferredConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CustodyTransferredConsumer> consumerConfigurator, IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        endpointConfigurator.ReceiveCustodyTransfers(context, [.. TransferKinds.All.Except([TransferKinds.Received, TransferKinds.Routed])]);
    }
}
