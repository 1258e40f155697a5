using Accountability.Audit.Features.Checkpoints;
using Accountability.Audit.Features.Recording;
using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Audit.Consumers;

/// <summary>
/// Records each event of a <see cref="CaseEventsCommitted"/> as the message it stands for, under its own id, in one append
/// batch: the same records, each claimed in the inbox under its own id, as if assignment had published them one by one. So
/// an envelope delivered again records nothing twice.
/// </summary>
public sealed class CaseEventsCommittedConsumer(TrailBatcher trail, CheckpointSigner checkpoints) : IConsumer<CaseEventsCommitted>
{
    public async Task Consume(ConsumeContext<CaseEventsCommitted> context)
    {
        var trace = TraceParent.Of(context);
        var events = CaseEventsEnvelope.Unpack(context.Message)
            .Select(e => new IncomingEvent(e.EventId, e.Event, AuditedMessages.For(e.Event.GetType()), trace))
            .ToList();
        System.Diagnostics.Activity.Current.TagCase(context.Message.CaseId, $"audit:{string.Join('+', events.Select(e => e.Audited.Name).Distinct())}");
        if (events.Count == 0)
            return;
        if (await trail.AppendAsync(events, context.CancellationToken))
            checkpoints.RecordAppended(events.Count);
    }
}

public sealed class CaseEventsCommittedConsumerDefinition : ConsumerDefinition<CaseEventsCommittedConsumer>
{
    public CaseEventsCommittedConsumerDefinition(IOptions<AuditOptions> audit) => Endpoint(endpoint => TrailQueue.Name(endpoint, audit.Value));

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CaseEventsCommittedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        TrailQueue.Configure(endpointConfigurator, consumerConfigurator, context);
        // The trail records every kind.
        endpointConfigurator.ReceiveCaseEventsOf([.. CaseEventsEnvelope.AllKinds]);
    }
}
