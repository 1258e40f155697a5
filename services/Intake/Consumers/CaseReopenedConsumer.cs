using Accountability.Contracts.Custody;
using Accountability.Intake.Features.PublicStatus;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Intake.Consumers;

/// <summary>A resolved case is open again.</summary>
public sealed class CaseReopenedConsumer(Accountability.Messaging.Inbox.Inbox inbox) : IConsumer<CaseReopened>
{
    public Task Consume(ConsumeContext<CaseReopened> context)
    {
        var message = context.Message;
        var update = new CustodyUpdate
        {
            CaseId = message.CaseId,
            CaseVersion = message.CaseVersion,
            OccurredAt = message.OccurredAt,
            OwnerKind = message.OwnerKind,
            OwnerId = message.OwnerId,
            Status = PublicStatuses.Assigned,
            Milestone = Milestones.Reopened,
        };
        return inbox.ProcessOnceAsync(nameof(CaseReopenedConsumer), context.RequireMessageId(),
            (transaction, cancellationToken) => StatusProjection.ApplyAsync(transaction, update, cancellationToken),
            context.CancellationToken);
    }
}

public sealed class CaseReopenedConsumerDefinition : RetryingConsumerDefinition<CaseReopenedConsumer>;
