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
    private const string MoveOwnerAndStatus =
        """
        update complaints
        set owner_kind = @OwnerKind, owner_id = @OwnerId, status = coalesce(@Status, status),
            status_version = @CaseVersion, updated_at = greatest(updated_at, @OccurredAt)
        where case_id = @CaseId and status_version < @CaseVersion;
        """;

    private const string RecordFindings =
        """
        update complaints set findings = nullif(@FindingsJson, 'null')::jsonb, findings_version = @CaseVersion
        where case_id = @CaseId and findings_version < @CaseVersion;
        """;

    private const string AddMilestone =
        """
        insert into milestones (case_id, case_version, milestone, at)
        select @CaseId, @CaseVersion, @Milestone, @OccurredAt
        where exists (select 1 from complaints where case_id = @CaseId)
        on conflict (case_id, case_version) do nothing;
        """;

    /// <summary>
    /// The update's statements go in one round trip (each still runs on its own, in order, as if sent one by one) instead
    /// of up to three.
    /// </summary>
    public static async Task ApplyAsync(NpgsqlTransaction transaction, CustodyUpdate update, CancellationToken cancellationToken)
    {
        System.Diagnostics.Activity.Current.TagCase(update.CaseId, "public-status", update.OwnerKind, update.OwnerId);
        var sql = MoveOwnerAndStatus + (update.FindingsJson is null ? "" : RecordFindings) + (update.Milestone is null ? "" : AddMilestone);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(sql, update, transaction, cancellationToken: cancellationToken));
    }
}
