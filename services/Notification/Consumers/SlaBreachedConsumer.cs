using Accountability.Contracts.Escalation;
using Accountability.Messaging.Bus;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>
/// A clock ran out. The owner's supervisor hears of the breach. When the clock is one the public
/// sees (first contact, resolution, the statutory limit), the complainant hears of the delay, once per clock.
/// </summary>
public sealed class SlaBreachedConsumer(NotifyingInbox inbox, Notifier notifier) : IConsumer<SlaBreached>
{
    private static readonly string[] PublicClocks = [SlaClocks.FirstContact, SlaClocks.Resolution, SlaClocks.Statutory];

    public Task Consume(ConsumeContext<SlaBreached> context)
    {
        var breach = context.Message;
        System.Diagnostics.Activity.Current.TagCase(breach.CaseId, "notify-breach", breach.OwnerKind, breach.OwnerId);
        return inbox.ProcessOnceAsync(nameof(SlaBreachedConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            var sourceKey = PlannedDelivery.EscalationEvent(breach.CaseId, breach.CaseVersion);
            // A unit's commander answers for it; above a person, their first active supervisor.
            var supervisor = chart?.SupervisorOf(breach.OwnerKind, breach.OwnerId);
            if (supervisor is not null)
                await notifier.ToStaffAsync(transaction, chart, supervisor, breach.CaseId, Triggers.Breach, sourceKey, new Dictionary<string, string>
                {
                    ["reason"] = breach.Reason,
                    ["clock"] = PlainWords.Clock(breach.Clock),
                    ["ownerName"] = chart!.NameOf(breach.OwnerKind, breach.OwnerId),
                }, cancellationToken);
            if (PublicClocks.Contains(breach.Clock))
                await notifier.ToComplainantAsync(transaction, breach.CaseId, Triggers.Delay, $"case:{breach.CaseId}:delay:{breach.Clock}",
                    new Dictionary<string, string>(), cancellationToken);
        }, context.CancellationToken);
    }
}

public sealed class SlaBreachedConsumerDefinition : RetryingConsumerDefinition<SlaBreachedConsumer>;
