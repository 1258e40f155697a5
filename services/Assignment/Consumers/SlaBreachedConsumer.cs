using Accountability.Contracts.Escalation;
using Accountability.Messaging.Bus;
using Dapper;
using MassTransit;

namespace Accountability.Assignment.Consumers;

/// <summary>
/// Marks a case overdue while a breached clock is still unmet. A breach that arrives after its clock
/// was already met (events can be reordered), or for an owner who no longer has the case, is ignored.
/// </summary>
public sealed class SlaBreachedConsumer(Messaging.Inbox.Inbox inbox) : IConsumer<SlaBreached>
{
    public async Task Consume(ConsumeContext<SlaBreached> context)
    {
        var breach = context.Message;
        await inbox.ProcessOnceAsync(nameof(SlaBreachedConsumer), context.RequireMessageId(), (transaction, cancellationToken) =>
            transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                insert into case_breaches (case_id, clock, due_at, breached_at, owner_kind, owner_id)
                select c.case_id, @Clock, @DueAt, @OccurredAt, @OwnerKind, @OwnerId
                from cases c
                where c.case_id = @CaseId and c.status = 'open'
                  and case @Clock
                      when 'acknowledge'    then not c.acknowledged and c.owner_kind = @OwnerKind and c.owner_id = @OwnerId
                      when 'handoff-accept' then c.pending_handoff_id is not null
                      when 'first-contact'  then not c.contacted
                      else true
                  end
                on conflict do nothing
                """, breach, transaction, cancellationToken: cancellationToken)),
            context.CancellationToken);
    }
}

public sealed class SlaBreachedConsumerDefinition : RetryingConsumerDefinition<SlaBreachedConsumer>;
