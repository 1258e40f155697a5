using Accountability.Contracts.Custody;
using Accountability.Intake.Features.PublicStatus;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Intake.Consumers;

/// <summary>The case is closed with a finding on every allegation.</summary>
public sealed class CaseResolvedConsumer(Accountability.Messaging.Inbox.Inbox inbox) : IConsumer<CaseResolved>
{
    public Task Consume(ConsumeContext<CaseResolved> context)
    {
        var message = context.Message;
        var update = new CustodyUpdate
        {
            CaseId = message.CaseId,
            CaseVersion = message.CaseVersion,
            OccurredAt = message.OccurredAt,
            OwnerKind = message.OwnerKind,
            OwnerId = message.OwnerId,
            Status = PublicStatuses.Resolved,
            Milestone = Milestones.Resolved,
        };
        return inbox.ProcessOnceAsync(nameof(CaseResolvedConsumer), context.RequireMessageId(),
            (transaction, cancellationToken) => StatusProjection.ApplyAsync(transaction, update, cancellationToken),
            context.CancellationToken);
    }
}

public sealed class CaseResolvedConsumerDefinition : RetryingConsumerDefinition<CaseResolvedConsumer>;
