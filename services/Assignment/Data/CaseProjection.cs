using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Accountability.Messaging.Database;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace Accountability.Assignment.Data;

/// <summary>
/// Keeps the query tables (cases, custody, handoffs) in step with the events, in the writing
/// transaction. The custody table's constraints check the decider's work a second time.
/// </summary>
public static class CaseProjection
{
    public static Guid CaseIdOf(object @event) => (Guid)((dynamic)@event).CaseId;

    public static (long Version, DateTimeOffset OccurredAt) VersionAndTime(object @event)
    {
        dynamic e = @event;
        return ((long)e.CaseVersion, (DateTimeOffset)e.OccurredAt);
    }

    /// <summary>
    /// What one event on a case already open changes in the query tables besides the case row (custody, handoffs, contacts,
    /// breaches). A case is opened by <see cref="InsertOpenedAsync"/>.
    /// </summary>
    public static async Task ApplyAsync(NpgsqlTransaction transaction, object @event, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        Task Execute(string sql, object parameters) =>
            connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));

        switch (@event)
        {
            case CustodyTransferred transfer:
                await Execute("update custody set to_at = @OccurredAt where case_id = @CaseId and to_at is null",
                    new { transfer.CaseId, transfer.OccurredAt });
                await Execute(
                    """
                    insert into custody (case_id, seq, owner_kind, owner_id, from_at, transfer_kind, reason, actor, handoff_id)
                    values (@CaseId, (select coalesce(max(seq), 0) + 1 from custody where case_id = @CaseId),
                            @ToOwnerKind, @ToOwnerId, @OccurredAt, @TransferKind, @Reason, @Actor, @HandoffId)
                    """, new { transfer.CaseId, transfer.ToOwnerKind, transfer.ToOwnerId, transfer.OccurredAt, transfer.TransferKind, transfer.Reason, transfer.Actor, transfer.HandoffId });
                break;

            case HandoffRequested request:
                await Execute(
                    """
                    insert into handoffs (handoff_id, case_id, from_kind, from_id, to_kind, to_id, state, reason, requested_by, requested_at)
                    values (@HandoffId, @CaseId, @FromOwnerKind, @FromOwnerId, @ToOwnerKind, @ToOwnerId, 'pending', @Reason, @Actor, @OccurredAt)
                    """, request);
                break;

            case ComplainantContacted contacted:
                await Execute(
                    """
                    insert into case_contacts (case_id, case_version, method, note, actor, occurred_at)
                    values (@CaseId, @CaseVersion, @Method, @Note, @Actor, @OccurredAt)
                    """, new { contacted.CaseId, contacted.CaseVersion, contacted.Method, contacted.Note, contacted.Actor, contacted.OccurredAt });
                break;

            case CaseResolved resolved:
                await Execute("update cases set resolution_note = @Reason, resolved_by = @Actor, resolved_at = @OccurredAt where case_id = @CaseId",
                    new { resolved.CaseId, resolved.Reason, resolved.Actor, resolved.OccurredAt });
                break;
            case CaseReopened reopened:
                // An open case has no resolution; the earlier note stays in the trail.
                await Execute("update cases set resolution_note = null, resolved_by = null, resolved_at = null where case_id = @CaseId",
                    new { reopened.CaseId });
                break;

            case HandoffAccepted accepted:
                await DecideHandoff(accepted.HandoffId, "accepted", accepted.Actor, accepted.OccurredAt, accepted.Reason);
                break;
            case HandoffDeclined declined:
                await DecideHandoff(declined.HandoffId, "declined", declined.Actor, declined.OccurredAt, declined.Reason);
                break;
            case HandoffCancelled cancelled:
                await DecideHandoff(cancelled.HandoffId, "cancelled", cancelled.Actor, cancelled.OccurredAt, cancelled.Reason);
                break;
            case HandoffExpired expired:
                await DecideHandoff(expired.HandoffId, "expired", expired.Actor, expired.OccurredAt, expired.Reason);
                break;
        }

        // The event that meets a clock clears its breaches; a new owner starts a fresh acknowledge clock.
        var met = @event switch
        {
            CaseAcknowledged => new[] { "acknowledge" },
            CustodyTransferred => ["acknowledge", "handoff-accept"],
            HandoffAccepted or HandoffDeclined or HandoffCancelled or HandoffExpired => ["handoff-accept"],
            ComplainantContacted => ["first-contact"],
            CaseResolved => ["acknowledge", "handoff-accept", "first-contact", "resolution", "statutory"],
            _ => [],
        };
        if (met.Length > 0)
            await Execute("update case_breaches set cleared_at = @at where case_id = @caseId and cleared_at is null and clock = any(@met)",
                new { at = VersionAndTime(@event).OccurredAt, caseId = CaseIdOf(@event), met });

        Task DecideHandoff(Guid handoffId, string state, string actor, DateTimeOffset at, string reason) => Execute(
            "update handoffs set state = @state, decided_by = @actor, decided_at = @at, decision_reason = @reason where handoff_id = @handoffId and state = 'pending'",
            new { handoffId, state, actor, at, reason });
    }

    /// <summary>
    /// The statements that write the case rows and custody intervals of cases opened (and perhaps routed) together, one each
    /// for any number of cases: the rows <see cref="ApplyAsync"/> and <see cref="MirrorAsync"/> would leave, written once at their
    /// final values. Only a receipt's and a routing's events are known here; any other event is refused before anything is written.
    /// </summary>
    public static IEnumerable<NpgsqlBatchCommand> InsertOpenedStatements(
        IReadOnlyList<(CaseState After, CaseOpened Opened, string? FirstTraceParent)> cases, Func<CaseOwner, string> unitOf)
    {
        yield return BatchStatements.Of(
            """
            insert into cases (case_id, status, owner_kind, owner_id, unit_id, category, district, received_at, updated_at, version,
                               first_traceparent, subject_badges, case_number, allegations, acknowledged, contacted)
            select c.case_id, 'open', c.owner_kind, c.owner_id, c.unit_id, c.category, c.district, c.received_at, c.updated_at, c.version,
                   c.first_traceparent, array(select jsonb_array_elements_text(c.subject_badges::jsonb)), c.case_number, c.allegations::jsonb, false, false
            from unnest(@CaseIds, @OwnerKinds, @OwnerIds, @UnitIds, @Categories, @Districts, @ReceivedAts, @UpdatedAts, @Versions,
                        @FirstTraceParents, @SubjectBadges, @CaseNumbers, @Allegations)
                 as c(case_id, owner_kind, owner_id, unit_id, category, district, received_at, updated_at, version,
                      first_traceparent, subject_badges, case_number, allegations)
            """,
            new
            {
                CaseIds = cases.Select(c => c.After.CaseId).ToArray(),
                OwnerKinds = cases.Select(c => c.After.Owner!.KindName).ToArray(),
                OwnerIds = cases.Select(c => c.After.Owner!.Id).ToArray(),
                UnitIds = cases.Select(c => unitOf(c.After.Owner!)).ToArray(),
                Categories = cases.Select(c => c.Opened.Category).ToArray(),
                Districts = cases.Select(c => c.Opened.District).ToArray(),
                ReceivedAts = cases.Select(c => c.Opened.OccurredAt).ToArray(),
                UpdatedAts = cases.Select(c => c.After.OpenInterval!.From).ToArray(),
                Versions = cases.Select(c => c.After.Version).ToArray(),
                FirstTraceParents = cases.Select(c => c.FirstTraceParent).ToArray(),
                SubjectBadges = cases.Select(c => JsonSerializer.Serialize(c.After.SubjectOfficerBadges.Select(badge => badge.ToUpperInvariant()))).ToArray(),
                CaseNumbers = cases.Select(c => c.Opened.CaseNumber).ToArray(),
                Allegations = cases.Select(c => AllegationsJson(c.After)).ToArray(),
            });

        var intervals = cases.SelectMany(c => c.After.Ledger.Select((interval, index) => (c.After.CaseId, Seq: index + 1, interval))).ToList();
        yield return BatchStatements.Of(
            """
            insert into custody (case_id, seq, owner_kind, owner_id, from_at, to_at, transfer_kind, reason, actor)
            select * from unnest(@CaseIds, @Seqs, @OwnerKinds, @OwnerIds, @FromAts, @ToAts, @TransferKinds, @Reasons, @Actors)
            """,
            new
            {
                CaseIds = intervals.Select(i => i.CaseId).ToArray(),
                Seqs = intervals.Select(i => i.Seq).ToArray(),
                OwnerKinds = intervals.Select(i => i.interval.Owner.KindName).ToArray(),
                OwnerIds = intervals.Select(i => i.interval.Owner.Id).ToArray(),
                FromAts = intervals.Select(i => i.interval.From).ToArray(),
                ToAts = intervals.Select(i => i.interval.To).ToArray(),
                TransferKinds = intervals.Select(i => i.interval.TransferKind).ToArray(),
                Reasons = intervals.Select(i => i.interval.Reason).ToArray(),
                Actors = intervals.Select(i => i.interval.Actor).ToArray(),
            });
    }

    /// <summary>The events <see cref="InsertOpenedStatements"/> writes the rows of: a receipt's and a routing's.</summary>
    public static bool IsOpeningEvent(object @event) => @event is CaseOpened or CaseRouted or CustodyTransferred { HandoffId: null };

    private static string AllegationsJson(CaseState state) => JsonSerializer.Serialize(
        state.Allegations.Select(a => new { id = a.Id, type = a.Type, officerBadge = a.OfficerBadge, officerDescription = a.OfficerDescription, finding = a.Finding }));

    /// <summary>
    /// The case row mirrors the state after the last event of a transaction: written once however many events it
    /// appended. A case whose only event so far is CaseOpened has no owner yet and is left as opened.
    /// </summary>
    public static async Task MirrorAsync(
        NpgsqlTransaction transaction, CaseState after, object lastEvent, Func<CaseOwner, string> unitOf, CancellationToken cancellationToken)
    {
        if (after.Owner is not { } owner)
            return;
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            update cases set status = @Status, owner_kind = @OwnerKind, owner_id = @OwnerId, unit_id = @UnitId, allegations = @Allegations::jsonb,
                             subject_badges = @SubjectBadges,
                             acknowledged = @Acknowledged, contacted = @Contacted, pending_handoff_id = @PendingHandoffId,
                             confidential_team = @ConfidentialTeam::text[], confidential_reason = @ConfidentialReason::text,
                             confidential_by = @ConfidentialBy::text, confidential_at = @ConfidentialAt::timestamptz,
                             updated_at = @UpdatedAt, version = @Version
            where case_id = @CaseId
            """,
            new
            {
                after.CaseId,
                Status = after.Status == CaseStatus.Resolved ? "resolved" : "open",
                OwnerKind = owner.KindName,
                OwnerId = owner.Id,
                UnitId = unitOf(owner),
                Acknowledged = after.AcknowledgedByCurrentOwner,
                Contacted = after.ComplainantContacted,
                PendingHandoffId = after.PendingHandoff?.HandoffId,
                SubjectBadges = after.SubjectOfficerBadges.Select(badge => badge.ToUpperInvariant()).ToArray(),
                Allegations = AllegationsJson(after),
                ConfidentialTeam = after.Confidential?.Team.ToArray(),
                ConfidentialReason = after.Confidential?.Reason,
                ConfidentialBy = after.Confidential?.MarkedBy,
                ConfidentialAt = after.Confidential?.MarkedAt,
                UpdatedAt = VersionAndTime(lastEvent).OccurredAt,
                after.Version,
            }, transaction, cancellationToken: cancellationToken));
    }
}
