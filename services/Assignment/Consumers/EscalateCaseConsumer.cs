using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;

namespace Accountability.Assignment.Consumers;

/// <summary>The escalation service asks; assignment, the single writer of custody, performs the forced transfer.</summary>
public sealed class EscalateCaseConsumer(Messaging.Inbox.Inbox inbox, CaseStore cases, ILogger<EscalateCaseConsumer> logger)
    : IConsumer<EscalateCase>
{
    public const string Actor = "system:escalation";

    public async Task Consume(ConsumeContext<EscalateCase> context)
    {
        var command = context.Message;
        System.Diagnostics.Activity.Current.TagCase(command.CaseId, "escalate", "person", command.ToPersonId);
        await inbox.ProcessOnceAsync(nameof(EscalateCaseConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var decision = await cases.ExecuteAsync(transaction, command.CaseId,
                _ => new CustodyCommand.Escalate(command.ToPersonId, command.Reason, command.Level, Actor), cancellationToken);
            // A refusal (the case was resolved meanwhile, the supervisor already owns it...) is an answer, not a failure.
            if (decision is Decision.Refused refused)
                logger.LogWarning("Escalation of case {CaseId} to {PersonId} refused: {Code} {Reason}",
                    command.CaseId, command.ToPersonId, refused.Refusal.Code, refused.Refusal.Reason);
        }, context.CancellationToken);
    }
}

public sealed class EscalateCaseConsumerDefinition : RetryingConsumerDefinition<EscalateCaseConsumer>;
