using Accountability.Contracts.Custody;
using Accountability.Contracts.Escalation;
using MassTransit;

namespace Accountability.Console.Live;

/// <summary>
/// Hears the events that change what a board or an inbox shows, on a queue of this console
/// instance's own (temporary: it goes away with the instance, so a stopped console leaves nothing
/// to pile up), and passes them to the open pages. Nothing here can fail on a message's content.
/// </summary>
public sealed class CaseChangeConsumer(CustodyFeed feed) :
    IConsumer<CaseOpened>, IConsumer<CaseRouted>, IConsumer<CustodyTransferred>, IConsumer<HandoffRequested>, IConsumer<HandoffAccepted>,
    IConsumer<HandoffDeclined>, IConsumer<HandoffCancelled>, IConsumer<HandoffExpired>, IConsumer<CaseAcknowledged>, IConsumer<ComplainantContacted>,
    IConsumer<FindingsRecorded>, IConsumer<AllegationAmended>, IConsumer<CaseResolved>, IConsumer<CaseReopened>, IConsumer<SlaWarning>, IConsumer<SlaBreached>, IConsumer<EscalationRaised>,
    IConsumer<StatutoryClockPaused>, IConsumer<StatutoryClockResumed>, IConsumer<CaseMarkedConfidential>, IConsumer<CaseConfidentialityLifted>,
    IConsumer<CaseEventsCommitted>
{
    /// <summary>Assignment's envelopes: a signal for each event inside, as if each had come alone.</summary>
    public Task Consume(ConsumeContext<CaseEventsCommitted> context) => Messaging.Bus.CaseEventsEnvelope.DispatchAsync(context, [this]);

    public Task Consume(ConsumeContext<CaseOpened> context) => Signal(context.Message.CaseId, nameof(CaseOpened));
    public Task Consume(ConsumeContext<CaseRouted> context) => Signal(context.Message.CaseId, nameof(CaseRouted));
    public Task Consume(ConsumeContext<CustodyTransferred> context) => Signal(context.Message.CaseId, nameof(CustodyTransferred));
    public Task Consume(ConsumeContext<HandoffRequested> context) => Signal(context.Message.CaseId, nameof(HandoffRequested));
    public Task Consume(ConsumeContext<HandoffAccepted> context) => Signal(context.Message.CaseId, nameof(HandoffAccepted));
    public Task Consume(ConsumeContext<HandoffDeclined> context) => Signal(context.Message.CaseId, nameof(HandoffDeclined));
    public Task Consume(ConsumeContext<HandoffCancelled> context) => Signal(context.Message.CaseId, nameof(HandoffCancelled));
    public Task Consume(ConsumeContext<HandoffExpired> context) => Signal(context.Message.CaseId, nameof(HandoffExpired));
    public Task Consume(ConsumeContext<CaseAcknowledged> context) => Signal(context.Message.CaseId, nameof(CaseAcknowledged));
    public Task Consume(ConsumeContext<ComplainantContacted> context) => Signal(context.Message.CaseId, nameof(ComplainantContacted));
    public Task Consume(ConsumeContext<FindingsRecorded> context) => Signal(context.Message.CaseId, nameof(FindingsRecorded));
    public Task Consume(ConsumeContext<AllegationAmended> context) => Signal(context.Message.CaseId, nameof(AllegationAmended));
    public Task Consume(ConsumeContext<CaseResolved> context) => Signal(context.Message.CaseId, nameof(CaseResolved));
    public Task Consume(ConsumeContext<CaseReopened> context) => Signal(context.Message.CaseId, nameof(CaseReopened));
    public Task Consume(ConsumeContext<SlaWarning> context) => Signal(context.Message.CaseId, nameof(SlaWarning));
    public Task Consume(ConsumeContext<SlaBreached> context) => Signal(context.Message.CaseId, nameof(SlaBreached));
    public Task Consume(ConsumeContext<EscalationRaised> context) => Signal(context.Message.CaseId, nameof(EscalationRaised));
    public Task Consume(ConsumeContext<StatutoryClockPaused> context) => Signal(context.Message.CaseId, nameof(StatutoryClockPaused));
    public Task Consume(ConsumeContext<StatutoryClockResumed> context) => Signal(context.Message.CaseId, nameof(StatutoryClockResumed));

    // Who may see the case changed: a board must drop or mask the row at once.
    public Task Consume(ConsumeContext<CaseMarkedConfidential> context) => Signal(context.Message.CaseId, nameof(CaseMarkedConfidential));
    public Task Consume(ConsumeContext<CaseConfidentialityLifted> context) => Signal(context.Message.CaseId, nameof(CaseConfidentialityLifted));

    private Task Signal(Guid caseId, string @event)
    {
        feed.Publish(new CaseChange(caseId, @event, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }
}

/// <summary>Every kind of custody move (<see cref="Messaging.Bus.CustodyTransferRouting"/>), and the envelopes that hold an event it signals.</summary>
public sealed class CaseChangeConsumerDefinition : ConsumerDefinition<CaseChangeConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CaseChangeConsumer> consumerConfigurator, IRegistrationContext context)
    {
        Messaging.Bus.CustodyTransferRouting.ReceiveCustodyTransfers(endpointConfigurator, context);
        Messaging.Bus.CaseEventsEnvelope.ReceiveCaseEvents(endpointConfigurator, typeof(CaseChangeConsumer));
    }
}
