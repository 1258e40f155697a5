using System.Globalization;
using Accountability.Contracts.Escalation;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>A clock passed a warning threshold: the owner hears when it will breach.</summary>
public sealed class SlaWarningConsumer(NotifyingInbox inbox, Notifier notifier) : IConsumer<SlaWarning>
{
    public Task Consume(ConsumeContext<SlaWarning> context)
    {
        var warning = context.Message;
        System.Diagnostics.Activity.Current.TagCase(warning.CaseId, "notify-sla-warning", warning.OwnerKind, warning.OwnerId);
        return inbox.ProcessOnceAsync(nameof(SlaWarningConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            var owner = chart?.AccountablePerson(warning.OwnerKind, warning.OwnerId) ?? warning.OwnerId;
            await notifier.ToStaffAsync(transaction, chart, owner, warning.CaseId, Triggers.SlaWarning,
                PlannedDelivery.EscalationEvent(warning.CaseId, warning.CaseVersion), new Dictionary<string, string>
                {
                    ["reason"] = warning.Reason,
                    ["clock"] = PlainWords.Clock(warning.Clock),
                    ["dueAt"] = warning.DueAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
                }, cancellationToken);
        }, context.CancellationToken);
    }
}

public sealed class SlaWarningConsumerDefinition : RetryingConsumerDefinition<SlaWarningConsumer>;
