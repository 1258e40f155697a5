using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;
using Accountability.Escalation.Features.EarlyWarning;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Escalation.Consumers;

/// <summary>
/// The early-intervention evaluator's feed: the allegations (as filed, as amended) and their findings, on a queue of
/// their own. Thin: the store records and evaluates inside the inbox transaction, so a warning and its event exist once.
/// </summary>
public sealed class EarlyWarningConsumer(Messaging.Inbox.GroupedInbox inbox, EarlyWarningStore store)
    : IConsumer<ComplaintReceived>, IConsumer<AllegationAmended>, IConsumer<FindingsRecorded>
{
    public Task Consume(ConsumeContext<ComplaintReceived> context) =>
        inbox.ProcessOnceAsync($"{nameof(EarlyWarningConsumer)}.{nameof(ComplaintReceived)}", context.RequireMessageId(),
            (transaction, ct) => store.ApplyAsync(transaction, context.Message, ct), context.CancellationToken);

    public Task Consume(ConsumeContext<AllegationAmended> context) =>
        inbox.ProcessOnceAsync($"{nameof(EarlyWarningConsumer)}.{nameof(AllegationAmended)}", context.RequireMessageId(),
            (transaction, ct) => store.ApplyAsync(transaction, context.Message, ct), context.CancellationToken);

    public Task Consume(ConsumeContext<FindingsRecorded> context) =>
        inbox.ProcessOnceAsync($"{nameof(EarlyWarningConsumer)}.{nameof(FindingsRecorded)}", context.RequireMessageId(),
            (transaction, ct) => store.ApplyAsync(transaction, context.Message, ct), context.CancellationToken);
}

public sealed class EarlyWarningConsumerDefinition : RetryingConsumerDefinition<EarlyWarningConsumer>;
