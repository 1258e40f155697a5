using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>The first contact with the complainant is a public milestone; later contacts are not news.</summary>
public sealed class ComplainantContactedConsumer(NotifyingInbox inbox, Notifier notifier) : IConsumer<ComplainantContacted>
{
    public Task Consume(ConsumeContext<ComplainantContacted> context)
    {
        var contacted = context.Message;
        System.Diagnostics.Activity.Current.TagCase(contacted.CaseId, "notify-contacted", contacted.OwnerKind, contacted.OwnerId);
        return inbox.ProcessOnceAsync(nameof(ComplainantContactedConsumer), context.RequireMessageId(), (transaction, cancellationToken) =>
            // One key per case, not per event: only the first contact produces a message.
            notifier.ToComplainantAsync(transaction, contacted.CaseId, Triggers.Contacted, $"case:{contacted.CaseId}:first-contact",
                new Dictionary<string, string>(), cancellationToken),
            context.CancellationToken);
    }
}

public sealed class ComplainantContactedConsumerDefinition : RetryingConsumerDefinition<ComplainantContactedConsumer>;
