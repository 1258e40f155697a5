using System.Text;
using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;

namespace Accountability.Assignment.Tests.Custody;

/// <summary>The promise of ARCHITECTURE §1, as checks on one state and on one step. Each failure says what broke.</summary>
public static class CustodyInvariants
{
    private static readonly HashSet<Type> HandoffEndingsThatKeepTheOwner = [typeof(CustodyCommand.DeclineHandoff), typeof(CustodyCommand.CancelHandoff), typeof(CustodyCommand.ExpireHandoff)];

    private static readonly HashSet<Type> CommandsThatMayMoveCustody = [typeof(CustodyCommand.Route), typeof(CustodyCommand.AcceptHandoff), typeof(CustodyCommand.Reassign), typeof(CustodyCommand.Escalate), typeof(CustodyCommand.Reopen)];

    /// <summary>One owner, one open interval, and intervals that tile [receivedAt, latestInstant] without gap or overlap.</summary>
    public static void AssertHold(CaseState state, DateTimeOffset receivedAt, DateTimeOffset latestInstant)
    {
        Require(state.Status != CaseStatus.NotReceived, "a received case must be open or resolved");
        Require(state.Owner is not null, "the case has no owner");
        Require(!state.Ledger.IsEmpty, "the custody ledger is empty");

        var openIntervals = state.Ledger.Count(interval => interval.IsOpen);
        Require(openIntervals == 1, $"expected exactly one open interval, found {openIntervals}");
        Require(state.Ledger[^1].IsOpen, "the open interval is not the latest one");
        Require(state.Ledger[^1].Owner == state.Owner, $"the owner ({state.Owner}) differs from the open interval's owner ({state.Ledger[^1].Owner})");

        Require(state.Ledger[0].From == receivedAt, $"the ledger starts at {state.Ledger[0].From:O}, not at receipt {receivedAt:O}");
        Require(state.Ledger[0].TransferKind == TransferKinds.Received, "the first interval is not the receipt");
        for (var i = 0; i < state.Ledger.Count - 1; i++)
        {
            var interval = state.Ledger[i];
            var next = state.Ledger[i + 1];
            Require(interval.To == next.From, $"interval {i} ends at {interval.To:O} but interval {i + 1} starts at {next.From:O} (gap or overlap)");
            Require(interval.From <= interval.To, $"interval {i} ends before it starts");
            Require(interval.Owner != next.Owner, $"interval {i + 1} transfers the case to the owner it already had ({next.Owner})");
        }
        Require(state.Ledger[^1].From <= latestInstant, $"the open interval starts at {state.Ledger[^1].From:O}, after the latest instant {latestInstant:O}");
        Require(state.Ledger.All(interval => TransferKinds.All.Contains(interval.TransferKind)), "an interval has an unknown transfer kind");

        // Asking "who owned it at T" must give exactly the interval's owner for every T from receipt on.
        foreach (var interval in state.Ledger.Where(interval => interval.To is null || interval.To > interval.From))
            Require(state.OwnerAt(interval.From) == interval.Owner, $"OwnerAt({interval.From:O}) is not {interval.Owner}");
        Require(state.OwnerAt(latestInstant) == state.Owner, "OwnerAt(latest instant) is not the current owner");
        Require(state.OwnerAt(receivedAt.AddTicks(-1)) is null, "someone owned the case before it was received");

        if (state.PendingHandoff is { } pending)
        {
            Require(state.Status == CaseStatus.Open, "a resolved case still has a pending handoff");
            Require(pending.From == state.Owner, $"the pending handoff was requested by {pending.From}, but {state.Owner} owns the case");
            Require(pending.To != state.Owner, "the pending handoff targets the current owner");
            Require(pending.RequestedAt >= state.Ledger[^1].From, "the pending handoff predates the current interval");
        }
    }

    /// <summary>What one Decide + Evolve step must respect, given the state before and after.</summary>
    public static void AssertStep(CaseState before, CustodyCommand command, DateTimeOffset now, Decision decision, CaseState after, IDirectoryView directory)
    {
        switch (decision)
        {
            case Decision.Refused refused:
                Require(!string.IsNullOrWhiteSpace(refused.Refusal.Code), "a refusal has no code");
                Require(!string.IsNullOrWhiteSpace(refused.Refusal.Reason), $"refusal {refused.Refusal.Code} has no reason");
                // The state is immutable, so the same instance is proof enough; otherwise compare every field.
                Require(ReferenceEquals(after, before) || Describe(after) == Describe(before), $"refusal {refused.Refusal.Code} changed the state");
                break;

            case Decision.Accepted accepted:
                Require(accepted.Events.Count > 0, "an accepted command produced no events");
                Require(after.Version == before.Version + accepted.Events.Count,
                    $"version went from {before.Version} to {after.Version} with {accepted.Events.Count} events");
                for (var i = 0; i < accepted.Events.Count; i++)
                {
                    var envelope = Envelope.Of(accepted.Events[i]);
                    Require(envelope.CaseVersion == before.Version + i + 1, $"event {i} carries CaseVersion {envelope.CaseVersion}");
                    Require(envelope.CaseId == after.CaseId, $"event {i} names another case");
                    Require(envelope.Actor == command.Actor, $"event {i} names actor {envelope.Actor}, not {command.Actor}");
                    Require(envelope.OccurredAt == now, $"event {i} occurred at {envelope.OccurredAt:O}, not at the command's instant");
                }

                var transfers = accepted.Events.OfType<CustodyTransferred>().Count();
                var ownerMoved = before.Owner != after.Owner;
                Require(transfers <= 1, "one command moved custody more than once");
                Require(ownerMoved == (transfers == 1), "the owner changed without a CustodyTransferred, or a transfer kept the owner");
                if (command is not CustodyCommand.Receive)
                    Require(!ownerMoved || CommandsThatMayMoveCustody.Contains(command.GetType()), $"{command.GetType().Name} moved custody");
                // No officer investigates himself: no step gives custody, or any action, to a subject officer, their
                // chain of command, or a unit they belong to or act for. (Receipt is the exception: every case starts at the desk.)
                var conflicts = new ConflictOfInterest(directory, after.SubjectOfficerBadges);
                Require(CustodyDecider.IsSystemActor(command.Actor) || !conflicts.IsConflicted(command.Actor),
                    $"{command.GetType().Name} was accepted from {command.Actor}, who is conflicted");
                if (command is not CustodyCommand.Receive && ownerMoved)
                    Require(!conflicts.IsConflicted(after.Owner!), $"{command.GetType().Name} gave the case to {after.Owner}, who is conflicted");
                if (command is CustodyCommand.RequestHandoff && after.PendingHandoff is { } requested)
                    Require(!conflicts.IsConflicted(requested.To), $"a handoff was requested to {requested.To}, who is conflicted");
                // A case is handed or reassigned only to someone whose role works cases.
                var givenTo = command switch
                {
                    CustodyCommand.RequestHandoff { To.IsPerson: true } request => request.To.Id,
                    CustodyCommand.Reassign reassign => reassign.ToPersonId,
                    _ => null,
                };
                Require(givenTo is null || directory.FindPerson(givenTo) is { MayInvestigate: true },
                    $"{command.GetType().Name} gave the case to {givenTo}, whose role does not work cases");
                // A confidential case stays with its team: its owner and a pending handoff's receiver are on it, or internal-affairs command.
                if (after.Confidential is { Team: var team })
                {
                    bool OnTeam(CaseOwner who) => who.IsPerson && (team.Contains(who.Id) || directory.InternalAffairsCommand.Contains(who.Id));
                    Require(OnTeam(after.Owner!), $"confidential case held by {after.Owner}, who is not on its team");
                    Require(after.PendingHandoff is null || OnTeam(after.PendingHandoff.To), $"confidential case offered to {after.PendingHandoff?.To}, who is not on its team");
                }
                if (HandoffEndingsThatKeepTheOwner.Contains(command.GetType()))
                    Require(!ownerMoved && after.Ledger.SequenceEqual(before.Ledger), $"{command.GetType().Name} changed the owner or the ledger");
                break;

            default:
                throw new InvariantViolated("Decide returned neither events nor a refusal");
        }
    }

    /// <summary>A complete, order-preserving rendering of the state; equal renderings mean equal states.</summary>
    public static string Describe(CaseState state)
    {
        var text = new StringBuilder()
            .Append($"case {state.CaseId} v{state.Version} {state.Status} owner={state.Owner} ack={state.AcknowledgedByCurrentOwner} contacted={state.ComplainantContacted}\n")
            .Append($"subjects=[{string.Join(",", state.SubjectOfficerBadges)}]\n")
            .Append($"allegations=[{string.Join(",", state.Allegations)}]\n")
            .Append($"pending={state.PendingHandoff}\n")
            .Append($"confidential={(state.Confidential is { } c ? $"[{string.Join(",", c.Team)}] {c.Reason} {c.MarkedBy} {c.MarkedAt:O}" : "no")}\n");
        foreach (var interval in state.Ledger)
            text.Append($"  {interval}\n");
        return text.ToString();
    }

    private static void Require(bool condition, string violation)
    {
        if (!condition)
            throw new InvariantViolated(violation);
    }

    /// <summary>The fields every custody event carries.</summary>
    public sealed record Envelope(Guid CaseId, long CaseVersion, string Actor, string Reason, DateTimeOffset OccurredAt)
    {
        public static Envelope Of(object @event) => @event switch
        {
            CaseOpened e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            CustodyTransferred e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            CaseRouted e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            HandoffRequested e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            HandoffAccepted e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            HandoffDeclined e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            HandoffCancelled e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            HandoffExpired e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            CaseAcknowledged e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            ComplainantContacted e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            FindingsRecorded e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            AllegationAmended e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            CaseResolved e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            CaseReopened e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            CaseMarkedConfidential e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            CaseConfidentialityLifted e => new(e.CaseId, e.CaseVersion, e.Actor, e.Reason, e.OccurredAt),
            _ => throw new InvariantViolated($"{@event.GetType().Name} is not a custody event"),
        };
    }
}

public sealed class InvariantViolated(string message) : Exception(message);
