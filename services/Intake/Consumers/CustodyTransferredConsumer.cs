using Accountability.Contracts.Custody;
using Accountability.Intake.Features.PublicStatus;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Intake.Consumers;

/// <summary>Custody moved: the responsible unit follows the new owner.</summary>
public sealed class CustodyTransferredConsumer(Accountability.Messaging.Inbox.Inbox inbox) : IConsumer<CustodyTransferred>
{
    public Task Consume(ConsumeContext<CustodyTransferred> context)
    {
        var message = context.Message;
        var update = new CustodyUpdate
        {
            CaseId = message.CaseId,
            CaseVersion = message.CaseVersion,
            OccurredAt = message.OccurredAt,
            OwnerKind = message.ToOwnerKind,
            OwnerId = message.ToOwnerId,
            // Receipt is already in the view, and routing has its own milestone; later moves show as "transferred".
            Status = message.TransferKind == "received" ? null : PublicStatuses.Assigned,
            Milestone = message.TransferKind is "received" or "routed" ? null : Milestones.Transferred,
        };
        return inbox.ProcessOnceAsync(nameof(CustodyTransferredConsumer), context.RequireMessageId(),
            (transaction, cancellationToken) => StatusProjection.ApplyAsync(transaction, update, cancellationToken),
            context.CancellationToken);
    }
}

public sealed class CustodyTransferredConsumerDefinition : RetryingConsumerDefinition<CustodyTransferredConsumer>;
