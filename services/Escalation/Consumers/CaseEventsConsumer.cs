using System.Diagnostics;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;
using Accountability.Escalation.Features.Clocks;
using Accountability.Escalation.Features.Policies;
using Accountability.Escalation.Features.Timers;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Escalation.Consumers;

/// <summary>
/// Every case event that moves a clock, on one queue. Thin: the clock rules say what the event means, and the writer
/// applies it with its version guard, in a group with the other events that arrive with it, inside one inbox transaction.
/// </summary>
public sealed class CaseEventsConsumer(CaseUpdateWriter writer, TimerWakeUp wakeUp, DefaultPoliciesSeeder policies)
    : IConsumer<ComplaintReceived>, IConsumer<CaseOpened>, IConsumer<CustodyTransferred>, IConsumer<CaseAcknowledged>,
      IConsumer<HandoffRequested>, IConsumer<HandoffAccepted>, IConsumer<HandoffDeclined>, IConsumer<HandoffCancelled>,
      IConsumer<HandoffExpired>, IConsumer<ComplainantContacted>, IConsumer<CaseResolved>, IConsumer<CaseReopened>,
      IConsumer<AllegationAmended>, IConsumer<CaseEventsCommitted>
{
    /// <summary>
    /// A transaction's events, each applied as if it came alone, under its own id; handed to the writer at once, so a
    /// routing's events share one group and one transaction, as they did when they arrived together.
    /// </summary>
    public Task Consume(ConsumeContext<CaseEventsCommitted> context) => CaseEventsEnvelope.DispatchAsync(context, [this], together: true);

    /// <summary>
    /// Moves no clock, but a new officer is a subject: escalation must never take the case up to him or above him. The
    /// early-intervention evaluator records it in the same transaction.
    /// </summary>
    public Task Consume(ConsumeContext<AllegationAmended> context) => ApplyAsync(context, ClockRules.For(context.Message), earlyWarning: context.Message);

    /// <summary>Starts the receipt's clocks; the early-intervention evaluator records its allegations in the same transaction.</summary>
    public Task Consume(ConsumeContext<ComplaintReceived> context) =>
        ApplyAsync(context, ClockRules.For(context.Message), "unit", context.Message.IntakeDeskUnitId, earlyWarning: context.Message);

    public Task Consume(ConsumeContext<CaseOpened> context) => ApplyAsync(context, ClockRules.For(context.Message));
    public Task Consume(ConsumeContext<CustodyTransferred> context) => ApplyAsync(context, ClockRules.For(context.Message));
    public Task Consume(ConsumeContext<CaseAcknowledged> context) => ApplyAsync(context, ClockRules.For(context.Message));
    public Task Consume(ConsumeContext<HandoffRequested> context) => ApplyAsync(context, ClockRules.For(context.Message));
    public Task Consume(ConsumeContext<HandoffAccepted> context) => Ended(context, context.Message.CaseId, context.Message.CaseVersion, context.Message.OccurredAt, context.Message.HandoffId);
    public Task Consume(ConsumeContext<HandoffDeclined> context) => Ended(context, context.Message.CaseId, context.Message.CaseVersion, context.Message.OccurredAt, context.Message.HandoffId);
    public Task Consume(ConsumeContext<HandoffCancelled> context) => Ended(context, context.Message.CaseId, context.Message.CaseVersion, context.Message.OccurredAt, context.Message.HandoffId);
    public Task Consume(ConsumeContext<HandoffExpired> context) => Ended(context, context.Message.CaseId, context.Message.CaseVersion, context.Message.OccurredAt, context.Message.HandoffId);
    public Task Consume(ConsumeContext<ComplainantContacted> context) => ApplyAsync(context, ClockRules.For(context.Message));
    public Task Consume(ConsumeContext<CaseResolved> context) => ApplyAsync(context, ClockRules.For(context.Message));
    public Task Consume(ConsumeContext<CaseReopened> context) => ApplyAsync(context, ClockRules.For(context.Message));

    private Task Ended<T>(ConsumeContext<T> context, Guid caseId, long version, DateTimeOffset at, Guid handoffId) where T : class =>
        ApplyAsync(context, ClockRules.HandoffEnded(caseId, version, at, handoffId));

    private async Task ApplyAsync<T>(
        ConsumeContext<T> context, CaseUpdate update, string? ownerKind = null, string? ownerId = null, object? earlyWarning = null) where T : class
    {
        Activity.Current.TagCase(update.CaseId, $"clocks:{typeof(T).Name}", update.Owner?.Kind ?? ownerKind, update.Owner?.Id ?? ownerId);
        // A case must be able to pin its policy version: the first start stores the defaults before any clock is set.
        await policies.Seeded.Task.WaitAsync(context.CancellationToken);
        // The consumer name includes the message type: one queue, but each type is its own inbox stream.
        var pending = new PendingCaseUpdate($"{nameof(CaseEventsConsumer)}.{typeof(T).Name}", context.RequireMessageId(), update, Activity.Current, earlyWarning);
        if (await writer.ApplyAsync(pending, context.CancellationToken))
            wakeUp.Wake();
    }
}

/// <summary>
/// The queue hands an instance many events at once, and each consumer hands its event to the writer, which applies them in
/// groups: a case's receipt and its routing's events, which arrive together, share one transaction, each case's in the order
/// they were handed over. There is no partition per case any more: the writer is the only one in the process that holds a connection
/// for the clocks, so no event waits on a case's row lock holding one, and the versions make any order of a case's events
/// end the same. The row lock stays: it orders several instances and the poller.
/// </summary>
public sealed class CaseEventsConsumerDefinition : RetryingConsumerDefinition<CaseEventsConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CaseEventsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        // Every kind: each one moves a clock (ClockRules).
        endpointConfigurator.ReceiveCustodyTransfers(context);
        endpointConfigurator.ReceiveCaseEvents(typeof(CaseEventsConsumer));
        // A group gathers while one is written, and while it lingers: the queue must hold many cases' events for that.
        var inFlight = context.GetRequiredService<IOptions<EscalationOptions>>().Value.CaseEventsPrefetchCount;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.PrefetchCount = inFlight;
        endpointConfigurator.ConcurrentMessageLimit = inFlight;
    }
}
