using Accountability.Contracts.Custody;

namespace Accountability.Assignment.Features.Custody;

/// <summary>
/// The custody rules as pure functions: <see cref="Decide"/> turns a command into events or a refusal,
/// <see cref="Evolve"/> folds an event into the state. No I/O, no clock: the caller passes <c>now</c>.
/// </summary>
public static partial class CustodyDecider
{
    public const string RouterActor = "system:router";
    private const string SystemActorPrefix = "system:";

    public static Decision Decide(CaseState state, CustodyCommand command, IDirectoryView directory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(directory);

        if (string.IsNullOrWhiteSpace(command.Actor))
            return Refuse(RefusalCodes.ActorUnknown, "Every command must name who is acting.");

        if (command is CustodyCommand.Receive receive)
            return DecideReceive(state, receive, now);

        if (state.Status == CaseStatus.NotReceived || state.Owner is null || state.OpenInterval is null)
            return Refuse(RefusalCodes.CaseNotReceived, "There is no such case yet: it must be received first.");

        var rules = new CaseRules(state, directory, command.Actor, now);

        if (now < rules.EarliestAllowedInstant)
            return Refuse(RefusalCodes.TimeWentBackwards,
                $"The command is dated {now:O}, before the case's last custody change or pending handoff at {rules.EarliestAllowedInstant:O}; time never goes backwards in the ledger.");

        if (rules.ActorRefusal() is { } actorRefusal)
            return actorRefusal;

        // Who may see a closed case matters as much as an open one's: confidentiality may change after resolution.
        if (state.Status == CaseStatus.Resolved
            && command is not (CustodyCommand.Reopen or CustodyCommand.MarkConfidential or CustodyCommand.LiftConfidentiality))
            return Refuse(RefusalCodes.CaseResolved, "The case is resolved; it must be reopened before anyone acts on it.");

        return command switch
        {
            CustodyCommand.Route route => rules.Route(route),
            CustodyCommand.RequestHandoff request => rules.RequestHandoff(request),
            CustodyCommand.AcceptHandoff accept => rules.AcceptHandoff(accept),
            CustodyCommand.DeclineHandoff decline => rules.DeclineHandoff(decline),
            CustodyCommand.CancelHandoff cancel => rules.CancelHandoff(cancel),
            CustodyCommand.ExpireHandoff expire => rules.ExpireHandoff(expire),
            CustodyCommand.Acknowledge => rules.Acknowledge(),
            CustodyCommand.RecordContact contact => rules.RecordContact(contact),
            CustodyCommand.RecordFinding finding => rules.RecordFinding(finding),
            CustodyCommand.AmendAllegation amend => rules.AmendAllegation(amend),
            CustodyCommand.Resolve resolve => rules.Resolve(resolve),
            CustodyCommand.Reopen reopen => rules.Reopen(reopen),
            CustodyCommand.Reassign reassign => rules.Reassign(reassign),
            CustodyCommand.Escalate escalate => rules.Escalate(escalate),
            CustodyCommand.MarkConfidential mark => rules.MarkConfidential(mark),
            CustodyCommand.LiftConfidentiality lift => rules.LiftConfidentiality(lift),
            _ => throw new ArgumentException($"Unknown custody command {command.GetType().Name}.", nameof(command)),
        };
    }

    public static bool IsSystemActor(string actor) =>
        actor.StartsWith(SystemActorPrefix, StringComparison.Ordinal) && actor.Length > SystemActorPrefix.Length;

    private static Decision.Refused Refuse(string code, string reason) => new(new Refusal(code, reason));

    private static Decision DecideReceive(CaseState state, CustodyCommand.Receive receive, DateTimeOffset now)
    {
        if (state.Status != CaseStatus.NotReceived)
            return Refuse(RefusalCodes.AlreadyReceived, $"Case {state.CaseId} was already received at {state.ReceivedAt:O}.");
        if (receive.CaseId == Guid.Empty)
            return Refuse(RefusalCodes.InvalidCommand, "A case needs a non-empty id.");
        if (string.IsNullOrWhiteSpace(receive.IntakeDeskUnitId))
            return Refuse(RefusalCodes.InvalidCommand, "The intake desk unit must be named: it owns the case from receipt.");
        if (receive.Allegations.Any(allegation => string.IsNullOrWhiteSpace(allegation.Id)))
            return Refuse(RefusalCodes.InvalidCommand, "Every allegation needs an id, so that findings can refer to it.");
        if (receive.Allegations.Select(allegation => allegation.Id).Distinct(StringComparer.Ordinal).Count() != receive.Allegations.Count)
            return Refuse(RefusalCodes.InvalidCommand, "Allegation ids must be unique within the case.");

        var intakeDesk = CaseOwner.Unit(receive.IntakeDeskUnitId);
        var events = new EventStream(receive.CaseId, state.Version, receive.Actor, now);
        events.Add(version => new CaseOpened
        {
            CaseId = receive.CaseId,
            CaseVersion = version,
            Actor = receive.Actor,
            Reason = "",
            OccurredAt = now,
            SubjectOfficerBadges = [.. receive.SubjectOfficerBadges],
            Allegations = [.. receive.Allegations],
            Category = receive.Category,
            District = receive.District,
            CaseNumber = receive.CaseNumber,
        });
        events.Transfer(from: null, to: intakeDesk, TransferKinds.Received, reason: "");
        return events.ToDecision();
    }

    /// <summary>The rules for one command on one received case; holds what every rule needs so each reads as prose.</summary>
    private sealed class CaseRules(CaseState state, IDirectoryView directory, string actor, DateTimeOffset now)
    {
        private readonly CaseOwner owner = state.Owner!;
        private readonly ConflictOfInterest conflicts = new(directory, state.SubjectOfficerBadges);

        /// <summary>
        /// No command may predate the open interval (that would make a negative interval) nor a pending handoff
        /// (answering, cancelling or overriding a request before it was made is incoherent).
        /// </summary>
        public DateTimeOffset EarliestAllowedInstant =>
            state.PendingHandoff is { } pending && pending.RequestedAt > state.OpenInterval!.From
                ? pending.RequestedAt
                : state.OpenInterval!.From;

        /// <summary>People act only while they are in the directory and active; system components always may.</summary>
        public Decision.Refused? ActorRefusal()
        {
            if (IsSystemActor(actor))
                return null;
            return directory.FindPerson(actor) switch
            {
                null => Refuse(RefusalCodes.ActorUnknown, $"Nobody with id '{actor}' is in the directory."),
                { IsActive: false } => Refuse(RefusalCodes.ActorInactive, $"{actor} is no longer active and cannot act on cases."),
                _ when conflicts.IsConflicted(actor) => Refuse(RefusalCodes.ActorConflicted, conflicts.Explain(actor)!),
                _ => null,
            };
        }

        public Decision Route(CustodyCommand.Route route)
        {
            if (actor != RouterActor)
                return Refuse(RefusalCodes.NotPermitted, $"Only {RouterActor} routes cases; people hand them off.");
            if (owner != state.IntakeOwner)
                return Refuse(RefusalCodes.AlreadyRouted, $"The case already left the intake desk (it is with {owner}); routing only takes cases from the desk.");
            if (string.IsNullOrWhiteSpace(route.UnitId) || directory.UnitCommander(route.UnitId) is null)
                return Refuse(RefusalCodes.UnitUnknown, $"There is no unit '{route.UnitId}'.");

            CaseOwner target;
            if (route.ToPersonId is { } personId)
            {
                if (PersonTargetRefusal(personId) is { } refusal)
                    return new Decision.Refused(refusal);
                if (!directory.IsMemberOfUnit(personId, route.UnitId) && directory.UnitCommander(route.UnitId) != personId)
                    return Refuse(RefusalCodes.PersonNotInUnit, $"{personId} is neither a member nor the commander of unit {route.UnitId}.");
                target = CaseOwner.Person(personId);
            }
            else
            {
                target = CaseOwner.Unit(route.UnitId);
                if (conflicts.IsUnitConflicted(route.UnitId))
                    return Refuse(RefusalCodes.ConflictOfInterest, $"Unit {route.UnitId} has a subject officer, or someone in a subject officer's chain of command, among its members or those who act for it.");
            }

            if (target == owner)
                return Refuse(RefusalCodes.AlreadyOwner, $"The case is already with {owner}.");

            var events = NewEvents();
            CancelPendingHandoff(events, "Custody moved by routing.");
            events.Add(version => new CaseRouted
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = route.Reason,
                OccurredAt = now,
                UnitId = route.UnitId,
                ToOwnerKind = target.KindName,
                ToOwnerId = target.Id,
            });
            events.Transfer(owner, target, TransferKinds.Routed, route.Reason);
            return events.ToDecision();
        }

        public Decision RequestHandoff(CustodyCommand.RequestHandoff request)
        {
            // Who may act comes before the case's state: a 409 would tell someone without authority what is going on.
            if (!HasAuthorityOverCase() && !DispatchesForOwner())
                return Refuse(RefusalCodes.NotPermitted, $"Only the owner ({owner}), their chain of command or a dispatcher for their unit may hand this case off.");
            // A dispatcher sees only the board's row of a confidential case, not its team: the owner moves it.
            if (state.Confidential is not null && !HasAuthorityOverCase())
                return Refuse(RefusalCodes.NotPermitted, $"The case is confidential: only its owner ({owner}) or internal-affairs command moves it.");
            if (state.PendingHandoff is { } pending)
                return Refuse(RefusalCodes.HandoffPending, $"Handoff {pending.HandoffId} to {pending.To} is still pending; it must be answered, cancelled or expire first.");
            if (request.HandoffId == Guid.Empty)
                return Refuse(RefusalCodes.InvalidCommand, "A handoff needs a non-empty id.");
            if (string.IsNullOrWhiteSpace(request.Reason))
                return Refuse(RefusalCodes.ReasonRequired, "A handoff needs a reason, so the receiver knows why.");

            var target = request.To;
            if (target.IsPerson && target.Id == actor)
                return Refuse(RefusalCodes.HandoffToSelf, "You cannot hand a case off to yourself.");
            if (target == owner)
                return Refuse(RefusalCodes.AlreadyOwner, $"The case is already with {owner}.");
            if (target.IsPerson && PersonTargetRefusal(target.Id) is { } personRefusal)
                return new Decision.Refused(personRefusal);
            if (target.IsPerson && RoleRefusal(target.Id, "toPersonId") is { } roleRefusal)
                return new Decision.Refused(roleRefusal);
            if (!target.IsPerson && directory.UnitCommander(target.Id) is null)
                return Refuse(RefusalCodes.UnitUnknown, $"There is no unit '{target.Id}'.");
            if (!target.IsPerson && conflicts.IsUnitConflicted(target.Id))
                return Refuse(RefusalCodes.ConflictOfInterest, $"Unit {target.Id} has a subject officer, or someone in a subject officer's chain of command, among its members or those who act for it.");
            if (ConfidentialTargetRefusal(target) is { } confidentialRefusal)
                return new Decision.Refused(confidentialRefusal);

            var events = NewEvents();
            events.Add(version => new HandoffRequested
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = request.Reason,
                OccurredAt = now,
                HandoffId = request.HandoffId,
                FromOwnerKind = owner.KindName,
                FromOwnerId = owner.Id,
                ToOwnerKind = target.KindName,
                ToOwnerId = target.Id,
            });
            return events.ToDecision();
        }

        public Decision AcceptHandoff(CustodyCommand.AcceptHandoff accept)
        {
            if (NotThePendingHandoff(accept.HandoffId) is { } refusal)
                return refusal;
            var pending = state.PendingHandoff!;
            if (!MayAnswerFor(pending.To))
                return Refuse(RefusalCodes.NotPermitted, $"Only the named receiver ({pending.To}) may accept this handoff.");

            var events = NewEvents();
            events.Add(version => new HandoffAccepted
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = "",
                OccurredAt = now,
                HandoffId = pending.HandoffId,
                FromOwnerKind = pending.From.KindName,
                FromOwnerId = pending.From.Id,
                ToOwnerKind = pending.To.KindName,
                ToOwnerId = pending.To.Id,
                RequestedBy = pending.RequestedBy,
            });
            events.Transfer(owner, pending.To, TransferKinds.Handoff, pending.Reason, handoffId: pending.HandoffId);
            return events.ToDecision();
        }

        public Decision DeclineHandoff(CustodyCommand.DeclineHandoff decline)
        {
            if (NotThePendingHandoff(decline.HandoffId) is { } refusal)
                return refusal;
            var pending = state.PendingHandoff!;
            if (!MayAnswerFor(pending.To))
                return Refuse(RefusalCodes.NotPermitted, $"Only the named receiver ({pending.To}) may decline this handoff.");
            if (string.IsNullOrWhiteSpace(decline.Reason))
                return Refuse(RefusalCodes.ReasonRequired, "A decline needs a reason, so the owner knows what to do next.");

            var events = NewEvents();
            events.Add(version => new HandoffDeclined
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = decline.Reason,
                OccurredAt = now,
                HandoffId = pending.HandoffId,
                FromOwnerKind = pending.From.KindName,
                FromOwnerId = pending.From.Id,
                ToOwnerKind = pending.To.KindName,
                ToOwnerId = pending.To.Id,
                RequestedBy = pending.RequestedBy,
            });
            return events.ToDecision();
        }

        public Decision CancelHandoff(CustodyCommand.CancelHandoff cancel)
        {
            if (NotThePendingHandoff(cancel.HandoffId) is { } refusal)
                return refusal;
            var pending = state.PendingHandoff!;
            if (actor != pending.RequestedBy && !HasAuthorityOverCase() && !DispatchesForOwner())
                return Refuse(RefusalCodes.NotPermitted, $"Only the owner ({owner}), their chain of command or whoever requested it may cancel this handoff.");

            var events = NewEvents();
            AddHandoffCancelled(events, pending, cancel.Reason);
            return events.ToDecision();
        }

        public Decision ExpireHandoff(CustodyCommand.ExpireHandoff expire)
        {
            if (NotThePendingHandoff(expire.HandoffId) is { } refusal)
                return refusal;
            var pending = state.PendingHandoff!;
            if (!IsSystemActor(actor))
                return Refuse(RefusalCodes.NotPermitted, "Handoffs expire by their clock, not by a person; a person cancels or declines instead.");

            var events = NewEvents();
            events.Add(version => new HandoffExpired
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = "",
                OccurredAt = now,
                HandoffId = pending.HandoffId,
                FromOwnerKind = pending.From.KindName,
                FromOwnerId = pending.From.Id,
                ToOwnerKind = pending.To.KindName,
                ToOwnerId = pending.To.Id,
                RequestedBy = pending.RequestedBy,
            });
            return events.ToDecision();
        }

        public Decision Acknowledge()
        {
            if (!MayAnswerFor(owner))
                return Refuse(RefusalCodes.NotPermitted, owner.IsPerson
                    ? $"Only the owner ({owner}) can acknowledge the case."
                    : $"Only someone who may act for unit {owner.Id} can acknowledge the case.");
            if (state.AcknowledgedByCurrentOwner)
                return Refuse(RefusalCodes.AlreadyAcknowledged, $"{owner} already acknowledged the case.");

            var events = NewEvents();
            events.Add(version => new CaseAcknowledged
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = "",
                OccurredAt = now,
                OwnerKind = owner.KindName,
                OwnerId = owner.Id,
            });
            return events.ToDecision();
        }

        public Decision RecordContact(CustodyCommand.RecordContact contact)
        {
            if (!HasAuthorityOverCase())
                return Refuse(RefusalCodes.NotPermitted, $"Only the owner ({owner}) or their chain of command can record contact with the complainant.");
            if (!ContactMethods.IsKnown(contact.Method))
                return Refuse(RefusalCodes.InvalidCommand, $"How the complainant was reached must be one of: {string.Join(", ", ContactMethods.All)}.");

            var events = NewEvents();
            events.Add(version => new ComplainantContacted
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = "",
                OccurredAt = now,
                OwnerKind = owner.KindName,
                OwnerId = owner.Id,
                Method = contact.Method,
                Note = string.IsNullOrWhiteSpace(contact.Note) ? null : contact.Note.Trim(),
            });
            return events.ToDecision();
        }

        public Decision RecordFinding(CustodyCommand.RecordFinding command)
        {
            if (!HasAuthorityOverCase())
                return Refuse(RefusalCodes.NotPermitted, $"Only the owner ({owner}) or their chain of command can record findings.");
            var allegation = state.Allegations.FirstOrDefault(candidate => candidate.Id == command.AllegationId);
            if (allegation is null)
                return Refuse(RefusalCodes.AllegationUnknown, $"The case has no allegation '{command.AllegationId}'.");
            if (!Findings.IsKnown(command.Finding))
                return Refuse(RefusalCodes.FindingInvalid, $"'{command.Finding}' is not a finding; use one of {string.Join(", ", Findings.All)}.");
            if (allegation.Finding == command.Finding)
                return Refuse(RefusalCodes.FindingUnchanged, $"Allegation {allegation.Id} already has the finding '{command.Finding}'.");

            var events = NewEvents();
            events.Add(version => new FindingsRecorded
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = "",
                OccurredAt = now,
                AllegationId = allegation.Id,
                Finding = command.Finding,
                PreviousFinding = allegation.Finding,
            });
            return events.ToDecision();
        }

        public Decision AmendAllegation(CustodyCommand.AmendAllegation amend)
        {
            if (!HasAuthorityOverCase())
                return Refuse(RefusalCodes.NotPermitted, $"Only the owner ({owner}) or their chain of command can add or correct allegations.");
            if (string.IsNullOrWhiteSpace(amend.Reason))
                return Refuse(RefusalCodes.ReasonRequired, "Say why the allegations change, for the record.");
            if (string.IsNullOrWhiteSpace(amend.Type))
                return Refuse(RefusalCodes.InvalidCommand, "An allegation needs a kind (a complaint category).");
            Allegation? previous = null;
            if (amend.AllegationId is { } id)
            {
                previous = state.Allegations.FirstOrDefault(candidate => candidate.Id == id);
                if (previous is null)
                    return Refuse(RefusalCodes.AllegationUnknown, $"The case has no allegation '{id}'.");
                if (previous.Finding is not null)
                    return Refuse(RefusalCodes.FindingUnchanged, $"Allegation {id} already has the finding '{previous.Finding}'; a decided allegation is not rewritten.");
            }
            var badge = amend.OfficerBadge.Trim().ToUpperInvariant();
            var subjects = badge.Length == 0 || state.SubjectOfficerBadges.Contains(badge, StringComparer.OrdinalIgnoreCase)
                ? state.SubjectOfficerBadges
                : state.SubjectOfficerBadges.Add(badge);
            // A new subject must not leave the case with someone who now investigates himself or his own people.
            var after = new ConflictOfInterest(directory, subjects);
            if (after.IsConflicted(owner) || after.IsConflicted(actor))
                return Refuse(RefusalCodes.ConflictOfInterest,
                    $"Officer {badge} would make the case's owner ({owner}) or you conflicted: hand it to someone eligible (internal-affairs command can take it back) before adding this allegation.");
            if (state.PendingHandoff is { } pending && after.IsConflicted(pending.To))
                return Refuse(RefusalCodes.ConflictOfInterest, $"Officer {badge} would make the pending handoff's receiver ({pending.To}) conflicted: cancel it first.");

            var allegation = new CaseAllegation
            {
                Id = previous?.Id ?? Guid.NewGuid().ToString(),
                Type = amend.Type,
                OfficerBadge = badge,
                OfficerDescription = string.IsNullOrWhiteSpace(amend.OfficerDescription) ? null : amend.OfficerDescription.Trim(),
            };
            var events = NewEvents();
            events.Add(version => new AllegationAmended
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = amend.Reason,
                OccurredAt = now,
                Allegation = allegation,
                Previous = previous is null ? null : new CaseAllegation
                {
                    Id = previous.Id, Type = previous.Type, OfficerBadge = previous.OfficerBadge, OfficerDescription = previous.OfficerDescription,
                },
                SubjectOfficerBadges = [.. subjects],
            });
            return events.ToDecision();
        }

        public Decision Resolve(CustodyCommand.Resolve resolve)
        {
            if (!HasAuthorityOverCase())
                return Refuse(RefusalCodes.NotPermitted, $"Only the owner ({owner}) or their chain of command can resolve the case.");
            var open = state.Allegations.Where(allegation => allegation.Finding is null).Select(allegation => allegation.Id).ToList();
            if (open.Count > 0)
                return Refuse(RefusalCodes.FindingsMissing, $"Every allegation needs a finding before the case is resolved; missing: {string.Join(", ", open)}.");
            if (string.IsNullOrWhiteSpace(resolve.Reason))
                return Refuse(RefusalCodes.ReasonRequired, "A resolution needs a note: what was found and done, for the record and the complainant's letter.");

            var events = NewEvents();
            // A handoff left pending on a closed case could never be answered.
            CancelPendingHandoff(events, "The case was resolved.");
            events.Add(version => new CaseResolved
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = resolve.Reason,
                OccurredAt = now,
                OwnerKind = owner.KindName,
                OwnerId = owner.Id,
                Findings = [.. state.Allegations.Select(allegation => new AllegationFinding { AllegationId = allegation.Id, Finding = allegation.Finding!, AllegationType = allegation.Type })],
            });
            return events.ToDecision();
        }

        public Decision Reopen(CustodyCommand.Reopen reopen)
        {
            if (state.Status != CaseStatus.Resolved)
                return Refuse(RefusalCodes.CaseNotResolved, "Only a resolved case can be reopened.");
            if (!HasAuthorityOverCase() && !conflicts.IsInternalAffairsCommand(actor))
                return Refuse(RefusalCodes.NotPermitted, $"Only the owner ({owner}), their chain of command or internal-affairs command can reopen the case.");
            if (string.IsNullOrWhiteSpace(reopen.Reason))
                return Refuse(RefusalCodes.ReasonRequired, "Reopening a case needs a reason.");
            if (ReopenTarget() is not { } target)
                return Refuse(RefusalCodes.NoActiveOwner, "The last person who owned the case is inactive and nobody in their chain of command is active.");

            var events = NewEvents();
            events.Add(version => new CaseReopened
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = reopen.Reason,
                OccurredAt = now,
                OwnerKind = target.KindName,
                OwnerId = target.Id,
            });
            if (target != owner)
                events.Transfer(owner, target, TransferKinds.Reopened, reopen.Reason);
            return events.ToDecision();
        }

        public Decision Reassign(CustodyCommand.Reassign reassign)
        {
            // Internal-affairs command may always take a case back, with a recorded reason.
            if (!IsAboveOwner() && !conflicts.IsInternalAffairsCommand(actor))
                return Refuse(RefusalCodes.NotPermitted, $"Only someone in the chain of command above {owner}, or internal-affairs command, can reassign the case.");
            if (string.IsNullOrWhiteSpace(reassign.Reason))
                return Refuse(RefusalCodes.ReasonRequired, "A forced transfer needs a reason.");
            var target = CaseOwner.Person(reassign.ToPersonId);
            if (target == owner)
                return Refuse(RefusalCodes.AlreadyOwner, $"The case is already with {owner}.");
            if (PersonTargetRefusal(reassign.ToPersonId) is { } refusal)
                return new Decision.Refused(refusal);
            if (RoleRefusal(reassign.ToPersonId, "toPersonId") is { } roleRefusal)
                return new Decision.Refused(roleRefusal);
            if (ConfidentialTargetRefusal(target) is { } confidentialRefusal)
                return new Decision.Refused(confidentialRefusal);

            var events = NewEvents();
            CancelPendingHandoff(events, "Custody moved by reassignment.");
            events.Transfer(owner, target, TransferKinds.Reassigned, reassign.Reason);
            return events.ToDecision();
        }

        public Decision Escalate(CustodyCommand.Escalate escalate)
        {
            if (!IsSystemActor(actor))
                return Refuse(RefusalCodes.NotPermitted, "Escalations come from the escalation service; a supervisor reassigns instead.");
            if (escalate.Level < 1)
                return Refuse(RefusalCodes.InvalidCommand, $"Escalation level {escalate.Level} is not a level; the first supervisor is level 1.");
            if (string.IsNullOrWhiteSpace(escalate.Reason))
                return Refuse(RefusalCodes.ReasonRequired, "An escalation needs a reason (which clock breached).");
            var target = CaseOwner.Person(escalate.ToPersonId);
            var reason = escalate.Reason;
            if (PersonPresenceRefusal(escalate.ToPersonId) is { } refusal)
                return new Decision.Refused(refusal);
            // Escalation knows the chain of command, not the complaint: a conflicted level is skipped here.
            // Everyone above a conflicted person is conflicted too, so the case goes to internal-affairs command.
            if (conflicts.IsConflicted(escalate.ToPersonId))
            {
                if (conflicts.InternalAffairsCommand() is not { } command)
                    return Refuse(RefusalCodes.ConflictOfInterest, $"{conflicts.Explain(escalate.ToPersonId)} Internal affairs is conflicted too, so nobody eligible is left to escalate to.");
                reason = $"{reason} {escalate.ToPersonId} is conflicted (a subject officer or in a subject's chain of command), so internal-affairs command takes the case.";
                target = command;
            }
            // A confidential case never climbs out of its team: a chain of command not named on it would then see it.
            if (ConfidentialTargetRefusal(target) is not null)
            {
                if (conflicts.InternalAffairsCommand() is not { } command || ConfidentialTargetRefusal(command) is not null)
                    return Refuse(RefusalCodes.NotOnConfidentialTeam, $"The case is confidential and {target} is not on its team; internal-affairs command cannot take it either.");
                reason = $"{reason} The case is confidential and {target.Id} is not on its team, so internal-affairs command takes the case.";
                target = command;
            }
            if (target == owner)
                return Refuse(RefusalCodes.AlreadyOwner, $"The case is already with {owner}.");

            var events = NewEvents();
            CancelPendingHandoff(events, "Custody moved by escalation.");
            events.Transfer(owner, target, TransferKinds.Escalated, reason, escalationLevel: escalate.Level);
            return events.ToDecision();
        }

        public Decision MarkConfidential(CustodyCommand.MarkConfidential mark)
        {
            if (!conflicts.IsInternalAffairsCommand(actor))
                return Refuse(RefusalCodes.NotPermitted, "Only internal-affairs command can make a case confidential or change its team.");
            if (string.IsNullOrWhiteSpace(mark.Reason))
                return new Decision.Refused(new Refusal(RefusalCodes.ReasonRequired, "Say why the case is confidential, for the record.", "reason"));
            if (!owner.IsPerson)
                return Refuse(RefusalCodes.OwnerNotAPerson,
                    $"The case is held by unit {owner.Id}, whose every supervisor would see it; reassign it to a person first.");
            for (var i = 0; i < mark.Team.Count; i++)
                if (TeamMemberRefusal(mark.Team[i]) is { } refusal)
                    return new Decision.Refused(refusal with { Field = $"team[{i}]" });

            // The owner is on the team whether named or not: the case cannot be hidden from whoever is accountable for it.
            var team = mark.Team.Append(owner.Id).Distinct(StringComparer.Ordinal).ToList();
            var events = NewEvents();
            if (state.PendingHandoff is { To: var receiver } && !OnTeamOrCommand(receiver, team))
                CancelPendingHandoff(events, "The case was made confidential and the receiver is not on its team.");
            events.Add(version => new CaseMarkedConfidential
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = mark.Reason.Trim(),
                OccurredAt = now,
                Team = team,
            });
            return events.ToDecision();
        }

        public Decision LiftConfidentiality(CustodyCommand.LiftConfidentiality lift)
        {
            if (!conflicts.IsInternalAffairsCommand(actor))
                return Refuse(RefusalCodes.NotPermitted, "Only internal-affairs command can lift a case's confidentiality.");
            if (state.Confidential is null)
                return Refuse(RefusalCodes.NotConfidential, "The case is not confidential.");
            if (string.IsNullOrWhiteSpace(lift.Reason))
                return new Decision.Refused(new Refusal(RefusalCodes.ReasonRequired, "Say why the case is no longer confidential, for the record.", "reason"));

            var events = NewEvents();
            events.Add(version => new CaseConfidentialityLifted
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = lift.Reason.Trim(),
                OccurredAt = now,
            });
            return events.ToDecision();
        }

        /// <summary>A team member must be someone who could hold the case: in the directory, active and free of conflict.</summary>
        private Refusal? TeamMemberRefusal(string personId) => PersonTargetRefusal(personId);

        /// <summary>Where a confidential case may go: a person on its team, or internal-affairs command; never a unit.</summary>
        private Refusal? ConfidentialTargetRefusal(CaseOwner target) =>
            state.Confidential is { Team: var team } && !OnTeamOrCommand(target, team)
                ? new Refusal(RefusalCodes.NotOnConfidentialTeam, target.IsPerson
                    ? $"The case is confidential: {target.Id} is not on its team. It may go only to a team member or to internal-affairs command, who can change the team."
                    : $"The case is confidential: it may go only to a named person on its team or to internal-affairs command, not to unit {target.Id}.")
                : null;

        private bool OnTeamOrCommand(CaseOwner target, IEnumerable<string> team) =>
            target.IsPerson && (team.Contains(target.Id, StringComparer.Ordinal) || conflicts.IsInternalAffairsCommand(target.Id));

        private EventStream NewEvents() => new(state.CaseId, state.Version, actor, now);

        private Decision.Refused? NotThePendingHandoff(Guid handoffId) => state.PendingHandoff switch
        {
            null => Refuse(RefusalCodes.HandoffNotPending, $"Handoff {handoffId} is not pending: the case has no pending handoff."),
            { HandoffId: var pendingId } when pendingId != handoffId =>
                Refuse(RefusalCodes.HandoffNotPending, $"Handoff {handoffId} is not the pending one ({pendingId})."),
            _ => null,
        };

        /// <summary>A forced move (routing, reassignment, escalation, resolution) withdraws the old owner's handoff: the new owner did not ask for it.</summary>
        private void CancelPendingHandoff(EventStream events, string reason)
        {
            if (state.PendingHandoff is { } pending)
                AddHandoffCancelled(events, pending, reason);
        }

        private void AddHandoffCancelled(EventStream events, PendingHandoff pending, string reason) =>
            events.Add(version => new HandoffCancelled
            {
                CaseId = state.CaseId,
                CaseVersion = version,
                Actor = actor,
                Reason = reason,
                OccurredAt = now,
                HandoffId = pending.HandoffId,
                FromOwnerKind = pending.From.KindName,
                FromOwnerId = pending.From.Id,
                ToOwnerKind = pending.To.KindName,
                ToOwnerId = pending.To.Id,
                RequestedBy = pending.RequestedBy,
            });

        /// <summary>The owner, anyone above a person owner, or anyone who may act for a unit owner.</summary>
        private bool HasAuthorityOverCase() => owner.IsPerson
            ? actor == owner.Id || directory.ChainOfCommand(owner.Id).Contains(actor)
            : directory.MayActForUnit(actor, owner.Id);

        /// <summary>A dispatcher for the owning unit, or for the unit of the person who owns it: they move cases, they do not work them.</summary>
        private bool DispatchesForOwner() =>
            (owner.IsPerson ? directory.UnitOf(owner.Id) : owner.Id) is { } unitId && directory.DispatchesFor(actor, unitId);

        /// <summary>Strictly above the owner: a person owner's supervisors, or a unit's commander and the commander's supervisors.</summary>
        private bool IsAboveOwner()
        {
            if (owner.IsPerson)
                return directory.ChainOfCommand(owner.Id).Contains(actor);
            var commander = directory.UnitCommander(owner.Id);
            return commander is not null && (actor == commander || directory.ChainOfCommand(commander).Contains(actor));
        }

        /// <summary>The named person themselves, or for a unit whoever may act for it.</summary>
        private bool MayAnswerFor(CaseOwner receiver) => receiver.IsPerson
            ? actor == receiver.Id
            : directory.MayActForUnit(actor, receiver.Id);

        private Refusal? PersonPresenceRefusal(string personId) => directory.FindPerson(personId) switch
        {
            null => new Refusal(RefusalCodes.PersonUnknown, $"Nobody with id '{personId}' is in the directory."),
            { IsActive: false } => new Refusal(RefusalCodes.PersonInactive, $"{personId} is no longer active and cannot take cases."),
            _ => null,
        };

        /// <summary>Whether a person may be given this case: present, active, and free of conflict of interest.</summary>
        private Refusal? PersonTargetRefusal(string personId)
        {
            if (PersonPresenceRefusal(personId) is { } refusal)
                return refusal;
            return conflicts.Explain(personId) is { } conflict ? new Refusal(RefusalCodes.ConflictOfInterest, conflict) : null;
        }

        /// <summary>
        /// A handoff or reassignment gives someone a case to work: an auditor, dispatcher, intake clerk or admin cannot.
        /// Routing, escalation and reopening pick their own targets from a unit's investigators or the chain of command.
        /// </summary>
        private Refusal? RoleRefusal(string personId, string field) => directory.FindPerson(personId) is { MayInvestigate: false }
            ? new Refusal(RefusalCodes.RoleCannotInvestigate,
                $"{personId} holds no role that works cases (investigator, supervisor or commander), so cannot be given this case.", field)
            : null;

        /// <summary>The last person who owned the case, or their first active, unconflicted supervisor, else internal-affairs command; a case that only units held stays put.</summary>
        private CaseOwner? ReopenTarget()
        {
            var target = OrdinaryReopenTarget();
            return target is not null && ConfidentialTargetRefusal(target) is not null ? conflicts.InternalAffairsCommand() : target;
        }

        private CaseOwner? OrdinaryReopenTarget()
        {
            var lastPerson = state.Ledger.LastOrDefault(interval => interval.Owner.IsPerson)?.Owner;
            if (conflicts.IsConflicted(lastPerson ?? owner))
                return conflicts.InternalAffairsCommand();
            if (lastPerson is null)
                return owner;
            if (directory.FindPerson(lastPerson.Id) is { IsActive: true })
                return lastPerson;
            var activeSupervisor = directory.ChainOfCommand(lastPerson.Id)
                .FirstOrDefault(supervisorId => directory.FindPerson(supervisorId) is { IsActive: true } && !conflicts.IsConflicted(supervisorId));
            return activeSupervisor is null ? conflicts.InternalAffairsCommand() : CaseOwner.Person(activeSupervisor);
        }
    }

    /// <summary>Collects the events of one decision, numbering them from the case's version.</summary>
    private sealed class EventStream(Guid caseId, long currentVersion, string actor, DateTimeOffset now)
    {
        private readonly List<object> events = [];

        public void Add(Func<long, object> create) => events.Add(create(currentVersion + events.Count + 1));

        public void Transfer(CaseOwner? from, CaseOwner to, string transferKind, string reason, Guid? handoffId = null, int? escalationLevel = null) =>
            Add(version => new CustodyTransferred
            {
                CaseId = caseId,
                CaseVersion = version,
                Actor = actor,
                Reason = reason,
                OccurredAt = now,
                FromOwnerKind = from?.KindName,
                FromOwnerId = from?.Id,
                ToOwnerKind = to.KindName,
                ToOwnerId = to.Id,
                TransferKind = transferKind,
                HandoffId = handoffId,
                EscalationLevel = escalationLevel,
            });

        public Decision ToDecision() => new Decision.Accepted(events.ToArray());
    }
}
