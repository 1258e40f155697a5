using Accountability.ServiceDefaults.Telemetry;
using Dapper;
using Npgsql;

namespace Accountability.Intake.Features.PublicStatus;

/// <summary>
/// Keeps the public view of a case in step with custody events, correct under duplication and
/// reordering: the owner and status move only forward in CaseVersion, while a late event's
/// milestone still takes its place in the timeline (keyed by version, so never twice).
/// </summary>
public static class StatusProjection
{
    public static async Task ApplyAsync(NpgsqlTransaction transaction, CustodyUpdate update, CancellationToken cancellationToken)
    {
        System.Diagnostics.Activity.Current.TagCase(update.CaseId, "public-status", update.OwnerKind, update.OwnerId);
        var connection = transaction.Connection!;
        await connection.ExecuteAsync(new CommandDefinition(
            """
            update complaints
            set owner_kind = @OwnerKind, owner_id = @OwnerId, status = coalesce(@Status, status),
                status_version = @CaseVersion, updated_at = greatest(updated_at, @OccurredAt)
            where case_id = @CaseId and status_version < @CaseVersion
            """, update, transaction, cancellationToken: cancellationToken));
        if (update.FindingsJson is not null)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                update complaints set findings = nullif(@FindingsJson, 'null')::jsonb, findings_version = @CaseVersion
                where case_id = @CaseId and findings_version < @CaseVersion
                """, update, transaction, cancellationToken: cancellationToken));
        if (update.Milestone is not null)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into milestones (case_id, case_version, milestone, at)
                select @CaseId, @CaseVersion, @Milestone, @OccurredAt
                where exists (select 1 from complaints where case_id = @CaseId)
                on conflict (case_id, case_version) do nothing
                """, update, transaction, cancellationToken: cancellationToken));
    }
}
