using Accountability.Contracts.Custody;
using Accountability.Intake.Features.PublicStatus;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Intake.Consumers;

/// <summary>Someone working the case reached the complainant.</summary>
public sealed class ComplainantContactedConsumer(Accountability.Messaging.Inbox.Inbox inbox) : IConsumer<ComplainantContacted>
{
    public Task Consume(ConsumeContext<ComplainantContacted> context)
    {
        var message = context.Message;
        var update = new CustodyUpdate
        {
            CaseId = message.CaseId,
            CaseVersion = message.CaseVersion,
            OccurredAt = message.OccurredAt,
            OwnerKind = message.OwnerKind,
            OwnerId = message.OwnerId,
            Milestone = Milestones.Contacted,
        };
        return inbox.ProcessOnceAsync(nameof(ComplainantContactedConsumer), context.RequireMessageId(),
            (transaction, cancellationToken) => StatusProjection.ApplyAsync(transaction, update, cancellationToken),
            context.CancellationToken);
    }
}

public sealed class ComplainantContactedConsumerDefinition : RetryingConsumerDefinition<ComplainantContactedConsumer>;
