using System.Globalization;
using Accountability.Contracts.Escalation;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>A case went up the chain of command: the supervisor who takes it up hears of it.</summary>
public sealed class EscalationRaisedConsumer(NotifyingInbox inbox, Notifier notifier) : IConsumer<EscalationRaised>
{
    public Task Consume(ConsumeContext<EscalationRaised> context)
    {
        var escalation = context.Message;
        System.Diagnostics.Activity.Current.TagCase(escalation.CaseId, "notify-escalation", escalation.OwnerKind, escalation.OwnerId);
        if (escalation.ToPersonId is not { } supervisor)
            return Task.CompletedTask; // the top of the chain: there is nobody above to tell
        return inbox.ProcessOnceAsync(nameof(EscalationRaisedConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            await notifier.ToStaffAsync(transaction, chart, supervisor, escalation.CaseId, Triggers.Escalation,
                PlannedDelivery.Escalation(escalation.CaseId, escalation.Level, supervisor), new Dictionary<string, string>
                {
                    ["reason"] = escalation.Reason,
                    ["level"] = escalation.Level.ToString(CultureInfo.InvariantCulture),
                    ["fromOwner"] = chart?.NameOf(escalation.OwnerKind, escalation.OwnerId) ?? escalation.OwnerId,
                }, cancellationToken);
        }, context.CancellationToken);
    }
}

public sealed class EscalationRaisedConsumerDefinition : RetryingConsumerDefinition<EscalationRaisedConsumer>;
