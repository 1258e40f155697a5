namespace Accountability.Assignment.Features.Custody;

/// <summary>The machine codes of refusals; APIs map them to HTTP statuses, so they never change meaning.</summary>
public static class RefusalCodes
{
    // The case's state does not allow the command.
    public const string CaseNotReceived = "case-not-received";
    public const string AlreadyReceived = "already-received";
    public const string CaseResolved = "case-resolved";
    public const string CaseNotResolved = "case-not-resolved";
    public const string AlreadyRouted = "already-routed";
    public const string HandoffPending = "handoff-pending";
    public const string HandoffNotPending = "handoff-not-pending";
    public const string AlreadyAcknowledged = "already-acknowledged";
    public const string FindingsMissing = "findings-missing";
    public const string TimeWentBackwards = "time-went-backwards";
    public const string NotConfidential = "not-confidential";

    /// <summary>A confidential case is held by a named person; a unit's every actor would see it.</summary>
    public const string OwnerNotAPerson = "owner-not-a-person";

    // The actor may not do this.
    public const string ActorUnknown = "actor-unknown";
    public const string ActorInactive = "actor-inactive";
    public const string NotPermitted = "not-permitted";

    // The target cannot take the case.
    public const string HandoffToSelf = "handoff-to-self";
    public const string AlreadyOwner = "already-owner";
    public const string PersonUnknown = "person-unknown";
    public const string PersonInactive = "person-inactive";
    public const string UnitUnknown = "unit-unknown";
    public const string PersonNotInUnit = "person-not-in-unit";
    public const string ConflictOfInterest = "conflict-of-interest";

    /// <summary>The target's roles do not include one that works cases (investigator, supervisor, commander).</summary>
    public const string RoleCannotInvestigate = "role-cannot-investigate";

    /// <summary>A confidential case goes only to its team or to internal-affairs command.</summary>
    public const string NotOnConfidentialTeam = "not-on-confidential-team";

    /// <summary>The actor is a subject officer or in a subject's chain of command: answered as if the case did not exist.</summary>
    public const string ActorConflicted = "actor-conflicted";
    public const string NoActiveOwner = "no-active-owner";

    // The command itself is malformed.
    public const string ReasonRequired = "reason-required";
    public const string InvalidCommand = "invalid-command";
    public const string AllegationUnknown = "allegation-unknown";
    public const string FindingInvalid = "finding-invalid";
    public const string FindingUnchanged = "finding-unchanged";
}
