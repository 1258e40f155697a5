using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;
using Accountability.Escalation.Features.EarlyWarning;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Escalation.Consumers;

/// <summary>
/// The early-intervention evaluator's own queue: the findings. The allegations (as filed, as amended) come with the clocks'
/// case events and are recorded in their transaction (<see cref="CaseEventsConsumer"/>), so this queue is bound to
/// <see cref="FindingsRecorded"/> alone. A broker that ran an older version still binds the complaints and amendments here
/// too (the README says how to remove those bindings once every instance is upgraded); until then they come twice and are
/// recorded once, under the same inbox streams. Thin: the store records and evaluates inside the inbox transaction, so a
/// warning and its event exist once.
/// </summary>
public sealed class EarlyWarningConsumer(Messaging.Inbox.GroupedInbox inbox, EarlyWarningStore store)
    : IConsumer<ComplaintReceived>, IConsumer<AllegationAmended>, IConsumer<FindingsRecorded>, IConsumer<CaseEventsCommitted>
{
    /// <summary>The findings out of assignment's envelopes; the amendments in them are the clocks' consumer's.</summary>
    public Task Consume(ConsumeContext<CaseEventsCommitted> context) =>
        CaseEventsEnvelope.DispatchAsync(context, [this], takes: e => e is FindingsRecorded);

    /// <summary>Only from a binding an older version made.</summary>
    public Task Consume(ConsumeContext<ComplaintReceived> context) =>
        inbox.ProcessOnceAsync(EarlyWarningStore.InboxNameOf(context.Message), context.RequireMessageId(),
            (transaction, ct) => store.ApplyAsync(transaction, context.Message, ct), context.CancellationToken);

    /// <summary>Only from a binding an older version made.</summary>
    public Task Consume(ConsumeContext<AllegationAmended> context) =>
        inbox.ProcessOnceAsync(EarlyWarningStore.InboxNameOf(context.Message), context.RequireMessageId(),
            (transaction, ct) => store.ApplyAsync(transaction, context.Message, ct), context.CancellationToken);

    public Task Consume(ConsumeContext<FindingsRecorded> context) =>
        inbox.ProcessOnceAsync(EarlyWarningStore.InboxNameOf(context.Message), context.RequireMessageId(),
            (transaction, ct) => store.ApplyAsync(transaction, context.Message, ct), context.CancellationToken);
}

public sealed class EarlyWarningConsumerDefinition : RetryingConsumerDefinition<EarlyWarningConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<EarlyWarningConsumer> consumerConfigurator, IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        // Taken with the clocks' case events instead: a complaint delivered here too would cost a delivery and a transaction more.
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.ConfigureMessageTopology<ComplaintReceived>(false);
            rabbit.ConfigureMessageTopology<AllegationAmended>(false);
        }
        endpointConfigurator.ReceiveCaseEventsOf(typeof(FindingsRecorded));
    }
}
