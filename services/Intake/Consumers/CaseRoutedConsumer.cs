using Accountability.Contracts.Custody;
using Accountability.Intake.Features.PublicStatus;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Intake.Consumers;

/// <summary>Routing chose the investigating unit: the case is assigned.</summary>
public sealed class CaseRoutedConsumer(Accountability.Messaging.Inbox.Inbox inbox) : IConsumer<CaseRouted>
{
    public Task Consume(ConsumeContext<CaseRouted> context)
    {
        var message = context.Message;
        var update = new CustodyUpdate
        {
            CaseId = message.CaseId,
            CaseVersion = message.CaseVersion,
            OccurredAt = message.OccurredAt,
            OwnerKind = message.ToOwnerKind,
            OwnerId = message.ToOwnerId,
            Status = PublicStatuses.Assigned,
            Milestone = Milestones.Routed,
        };
        return inbox.ProcessOnceAsync(nameof(CaseRoutedConsumer), context.RequireMessageId(),
            (transaction, cancellationToken) => StatusProjection.ApplyAsync(transaction, update, cancellationToken),
            context.CancellationToken);
    }
}

public sealed class CaseRoutedConsumerDefinition : RetryingConsumerDefinition<CaseRoutedConsumer>;
