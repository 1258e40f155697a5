using Accountability.Audit.Features.Checkpoints;
using Accountability.Audit.Features.Recording;
using Accountability.Contracts.Notification;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Audit.Consumers;

/// <summary>
/// Records each notification of a <see cref="NotificationsSent"/> as the NotificationSent it stands for, with its own id and
/// its send's trace, exactly as if it had been announced alone; the message itself is claimed once in the inbox.
/// </summary>
public sealed class NotificationsSentConsumer(TrailBatcher trail, CheckpointSigner checkpoints) : IConsumer<NotificationsSent>
{
    private static readonly AuditedMessageType Sent = AuditedMessages.For(typeof(NotificationSent));

    public async Task Consume(ConsumeContext<NotificationsSent> context)
    {
        var envelopeId = context.RequireMessageId();
        // A record without its own id could never be told from another: such a message is refused, and ends in the error queue.
        var ids = context.Message.Notifications.Select(n => n.EventId).ToList();
        if (ids.Contains(Guid.Empty) || ids.Distinct().Count() != ids.Count)
            throw new InvalidOperationException($"NotificationsSent {envelopeId} names a notification with no event id, or one twice.");
        var envelopeTrace = TraceParent.Of(context);
        var events = context.Message.Notifications
            .Select(n => new IncomingEvent(n.EventId, n.Sent, Sent, n.TraceParent is { } own && TraceParent.IsW3C(own) ? own : envelopeTrace)
            {
                InboxId = envelopeId,
            })
            .ToList();
        foreach (var caseId in events.Select(e => Sent.CaseIdOf(e.Message)).OfType<Guid>().Distinct())
            System.Diagnostics.Activity.Current.TagCase(caseId, $"audit:{Sent.Name}");
        if (events.Count == 0)
            return; // nothing to record; redelivered, it is nothing again
        if (await trail.AppendAsync(events, context.CancellationToken))
            checkpoints.RecordAppended(events.Count);
    }
}

public sealed class NotificationsSentConsumerDefinition : ConsumerDefinition<NotificationsSentConsumer>
{
    public NotificationsSentConsumerDefinition(IOptions<AuditOptions> audit) => Endpoint(endpoint => TrailQueue.Name(endpoint, audit.Value));

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<NotificationsSentConsumer> consumerConfigurator, IRegistrationContext context) =>
        TrailQueue.Configure(endpointConfigurator, consumerConfigurator, context);
}
