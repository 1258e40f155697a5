using Accountability.Contracts.Custody;
using Accountability.Contracts.Escalation;
using Accountability.Escalation.Data;
using Accountability.Messaging.Outbox;
using Dapper;
using Npgsql;

namespace Accountability.Escalation.Features.Escalations;

/// <summary>Records an escalation and announces it, in the caller's transaction: the row, EscalationRaised and (when custody should move) EscalateCase.</summary>
public static class EscalationWriter
{
    public static async Task<Guid> RaiseAsync(
        NpgsqlTransaction transaction, Guid caseId, string clock, string ownerKind, string ownerId, EscalationPlan plan, string source,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var escalationId = Guid.CreateVersion7();
        // The gap monitor may find a case before any of its events reached us.
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "insert into cases (case_id) values (@caseId) on conflict (case_id) do nothing", new { caseId }, transaction, cancellationToken: cancellationToken));
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into escalations (escalation_id, case_id, clock, level, owner_kind, owner_id, to_person_id, outcome, source, reason, raised_at)
            values (@escalationId, @caseId, @clock, @Level, @ownerKind, @ownerId, @ToPersonId, @Outcome, @source, @Reason, @now)
            """,
            new { escalationId, caseId, clock, plan.Level, ownerKind, ownerId, plan.ToPersonId, plan.Outcome, source, plan.Reason, now = now.ForDb() },
            transaction, cancellationToken: cancellationToken));

        await OutboxWriter.EnqueueAsync(transaction, new EscalationRaised
        {
            CaseId = caseId,
            CaseVersion = await CaseClockStore.NextEventVersionAsync(transaction, caseId, cancellationToken),
            Actor = "system:escalation",
            Reason = plan.Reason,
            OccurredAt = now,
            Clock = clock,
            Level = plan.Level,
            OwnerKind = ownerKind,
            OwnerId = ownerId,
            ToPersonId = plan.ToPersonId,
            Outcome = plan.Outcome,
            Source = source,
        }, cancellationToken);

        if (plan is { Outcome: EscalationOutcomes.CustodyRequested, ToPersonId: { } toPersonId })
            await OutboxWriter.EnqueueAsync(transaction, new EscalateCase
            {
                CaseId = caseId,
                ToPersonId = toPersonId,
                Reason = plan.Reason,
                // EscalateCase names an SLA clock; an unowned case is escalated so its new owner acknowledges it.
                Clock = SlaClocks.IsKnown(clock) ? clock : SlaClocks.Acknowledge,
                Level = plan.Level,
                RequestedAt = now,
            }, cancellationToken);
        return escalationId;
    }
}
