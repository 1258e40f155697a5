using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.Notification.Data;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>A new complaint: keep its tracking code and sealed contact, and send the receipt unless it is anonymous.</summary>
public sealed class ComplaintReceivedConsumer(NotifyingInbox inbox, Notifier notifier) : IConsumer<ComplaintReceived>
{
    public Task Consume(ConsumeContext<ComplaintReceived> context)
    {
        var complaint = context.Message;
        System.Diagnostics.Activity.Current.TagCase(complaint.CaseId, "notify-receipt", "unit", complaint.IntakeDeskUnitId);
        // Without a contact there is nobody to write to: that is anonymity, whatever the flag says.
        var contact = complaint.Anonymous ? null : complaint.Complainant;
        // Nothing is read or written per message: the case and its receipt go with the group's commit.
        return inbox.ProcessOnceAsync(nameof(ComplaintReceivedConsumer), context.RequireMessageId(), (transaction, cancellationToken) =>
        {
            notifier.KeepCase(transaction, new CaseStore.NewCase(complaint.CaseId, complaint.TrackingCode, complaint.CaseNumber, contact is null,
                contact?.KeyId, contact?.Ciphertext, complaint.ReceivedAt));
            return contact is null
                ? Task.CompletedTask
                : notifier.ToComplainantAsync(transaction, complaint.CaseId, Triggers.Receipt,
                    PlannedDelivery.CaseEvent(complaint.CaseId, complaint.CaseVersion), new Dictionary<string, string>(), cancellationToken);
        }, context.CancellationToken);
    }
}

public sealed class ComplaintReceivedConsumerDefinition : RetryingConsumerDefinition<ComplaintReceivedConsumer>;
