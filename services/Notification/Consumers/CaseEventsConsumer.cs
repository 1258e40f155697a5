using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>
/// Assignment's envelopes, on one queue: each event that means news is handed to the consumer that takes it alone, under
/// the event's own id, so a redelivered envelope plans nothing twice. They are handed over at once, so that a handoff's
/// two events share one group of the inbox instead of waiting out its linger one after the other. A receipt's and a
/// routing's transfers are skipped, as their queues are not bound to them: routing's news comes with <see cref="CaseRoutedConsumer"/>.
/// </summary>
public sealed class CaseEventsConsumer(
    CaseRoutedConsumer routed,
    CustodyTransferredConsumer transferred,
    HandoffRequestedConsumer handoffRequested,
    HandoffOutcomeConsumer handoffOutcome,
    ComplainantContactedConsumer contacted,
    CaseResolvedConsumer resolved) : IConsumer<CaseEventsCommitted>
{
    /// <summary>The consumers whose events come in envelopes; their kinds bind this queue.</summary>
    public static readonly Type[] Unpacked =
    [
        typeof(CaseRoutedConsumer), typeof(CustodyTransferredConsumer), typeof(HandoffRequestedConsumer),
        typeof(HandoffOutcomeConsumer), typeof(ComplainantContactedConsumer), typeof(CaseResolvedConsumer),
    ];

    public Task Consume(ConsumeContext<CaseEventsCommitted> context) =>
        CaseEventsEnvelope.DispatchAsync(context, [routed, transferred, handoffRequested, handoffOutcome, contacted, resolved],
            takes: e => e is not CustodyTransferred { TransferKind: TransferKinds.Received or TransferKinds.Routed }, together: true);
}

public sealed class CaseEventsConsumerDefinition : RetryingConsumerDefinition<CaseEventsConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CaseEventsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        endpointConfigurator.ReceiveCaseEvents(CaseEventsConsumer.Unpacked);
    }
}
