using Accountability.Contracts.Custody;

namespace Accountability.Assignment.Features.Custody;

public static partial class CustodyDecider
{
    /// <summary>Folds one event into the state. The same function rebuilds a case from its stored events.</summary>
    /// <exception cref="InvalidOperationException">The event does not follow the state (wrong version, unknown handoff): the stream is corrupt.</exception>
    public static CaseState Evolve(CaseState state, object @event)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(@event);

        var next = @event switch
        {
            CaseOpened when state.Status != CaseStatus.NotReceived =>
                throw new InvalidOperationException($"Case {state.CaseId} was already opened."),
            CaseOpened opened => state with
            {
                CaseId = opened.CaseId,
                Status = CaseStatus.Open,
                SubjectOfficerBadges = [.. opened.SubjectOfficerBadges],
                Allegations = [.. opened.Allegations.Select(allegation => new Allegation(allegation.Id, allegation.Type, allegation.OfficerBadge, Finding: null, allegation.OfficerDescription))],
            },
            CustodyTransferred transferred => Transfer(state, transferred),
            CaseRouted => state,
            HandoffRequested when state.PendingHandoff is not null =>
                throw new InvalidOperationException($"Case {state.CaseId} already has a pending handoff."),
            HandoffRequested requested => state with
            {
                PendingHandoff = new PendingHandoff(
                    requested.HandoffId,
                    CaseOwner.FromContract(requested.FromOwnerKind, requested.FromOwnerId),
                    CaseOwner.FromContract(requested.ToOwnerKind, requested.ToOwnerId),
                    requested.OccurredAt,
                    requested.Actor,
                    requested.Reason),
            },
            HandoffAccepted accepted => ClearPendingHandoff(state, accepted.HandoffId),
            HandoffDeclined declined => ClearPendingHandoff(state, declined.HandoffId),
            HandoffCancelled cancelled => ClearPendingHandoff(state, cancelled.HandoffId),
            HandoffExpired expired => ClearPendingHandoff(state, expired.HandoffId),
            CaseAcknowledged => state with { AcknowledgedByCurrentOwner = true },
            ComplainantContacted => state with { ComplainantContacted = true },
            FindingsRecorded recorded => state with
            {
                Allegations = state.Allegations.ConvertAll(allegation =>
                    allegation.Id == recorded.AllegationId ? allegation with { Finding = recorded.Finding } : allegation),
            },
            AllegationAmended amended => state with
            {
                Allegations = amended.Previous is null
                    ? state.Allegations.Add(ToAllegation(amended.Allegation))
                    : state.Allegations.ConvertAll(allegation => allegation.Id == amended.Allegation.Id ? ToAllegation(amended.Allegation) : allegation),
                SubjectOfficerBadges = [.. amended.SubjectOfficerBadges],
            },
            CaseMarkedConfidential marked => state with
            {
                Confidential = new Confidentiality([.. marked.Team], marked.Reason, marked.Actor, marked.OccurredAt),
            },
            CaseConfidentialityLifted => state with { Confidential = null },
            CaseResolved => state with { Status = CaseStatus.Resolved },
            CaseReopened => state with { Status = CaseStatus.Open, AcknowledgedByCurrentOwner = false },
            _ => throw new ArgumentException($"{@event.GetType().Name} is not a custody event.", nameof(@event)),
        };

        var version = CaseVersionOf(@event);
        if (version != state.Version + 1)
            throw new InvalidOperationException($"{@event.GetType().Name} has CaseVersion {version}, but the case is at version {state.Version}; events must be applied in order.");
        return next with { Version = version };
    }

    private static Allegation ToAllegation(CaseAllegation allegation) =>
        new(allegation.Id, allegation.Type, allegation.OfficerBadge, Finding: null, allegation.OfficerDescription);

    /// <summary>Rebuilds a case from its events, oldest first.</summary>
    public static CaseState Replay(IEnumerable<object> events) => events.Aggregate(CaseState.NotReceived, Evolve);

    private static CaseState Transfer(CaseState state, CustodyTransferred transferred)
    {
        var to = CaseOwner.FromContract(transferred.ToOwnerKind, transferred.ToOwnerId);
        var ledger = state.Ledger;
        if (!ledger.IsEmpty && transferred.OccurredAt < ledger[^1].From)
            throw new InvalidOperationException($"Transfer at {transferred.OccurredAt:O} predates the open interval from {ledger[^1].From:O}.");
        if (!ledger.IsEmpty)
            ledger = ledger.SetItem(ledger.Count - 1, ledger[^1] with { To = transferred.OccurredAt });
        ledger = ledger.Add(new CustodyInterval(to, transferred.OccurredAt, To: null, transferred.TransferKind, transferred.Reason, transferred.Actor));
        return state with { Owner = to, Ledger = ledger, AcknowledgedByCurrentOwner = false };
    }

    private static CaseState ClearPendingHandoff(CaseState state, Guid handoffId) =>
        state.PendingHandoff?.HandoffId == handoffId
            ? state with { PendingHandoff = null }
            : throw new InvalidOperationException($"Handoff {handoffId} is not the pending handoff of case {state.CaseId}.");

    private static long CaseVersionOf(object @event) => @event switch
    {
        CaseOpened e => e.CaseVersion,
        CustodyTransferred e => e.CaseVersion,
        CaseRouted e => e.CaseVersion,
        HandoffRequested e => e.CaseVersion,
        HandoffAccepted e => e.CaseVersion,
        HandoffDeclined e => e.CaseVersion,
        HandoffCancelled e => e.CaseVersion,
        HandoffExpired e => e.CaseVersion,
        CaseAcknowledged e => e.CaseVersion,
        ComplainantContacted e => e.CaseVersion,
        FindingsRecorded e => e.CaseVersion,
        AllegationAmended e => e.CaseVersion,
        CaseResolved e => e.CaseVersion,
        CaseReopened e => e.CaseVersion,
        CaseMarkedConfidential e => e.CaseVersion,
        CaseConfidentialityLifted e => e.CaseVersion,
        _ => throw new ArgumentException($"{@event.GetType().Name} is not a custody event.", nameof(@event)),
    };
}
