using Accountability.Contracts.Escalation;

namespace Accountability.Escalation.Features.Escalations;

public static class EscalationOutcomes
{
    /// <summary>EscalateCase was sent: the assignment service moves the case to <c>ToPersonId</c>.</summary>
    public const string CustodyRequested = "custody-requested";

    /// <summary>The supervisor is told and is expected to act; the owner keeps the case meanwhile.</summary>
    public const string SupervisorNotified = "supervisor-notified";

    /// <summary>Nobody is above the owner: recorded, warned and breached, never escalated higher.</summary>
    public const string TopOfChain = "top-of-chain";
}

/// <summary>What to do about a breach or a gap.</summary>
public sealed record EscalationPlan(string Outcome, string? ToPersonId, int Level, string Reason);

/// <summary>
/// Who takes a case up, and whether custody moves. Pure. Only an unacknowledged case (nobody is
/// working it) or an unowned one moves; a late handoff, contact, resolution or statutory limit goes
/// to the supervisor as a notice, because the owner is working the case and should keep it.
/// </summary>
public static class EscalationDecider
{
    public static EscalationPlan OnBreach(string clock, string ownerKind, string ownerId, int currentLevel, ChainOfCommand? chain)
    {
        var above = chain?.Above(ownerKind, ownerId);
        var level = currentLevel + 1;
        if (above is null)
            return new EscalationPlan(EscalationOutcomes.TopOfChain, null, currentLevel,
                chain is null
                    ? $"The {clock} clock breached, and no org chart has been received yet to find who is above {ownerKind} {ownerId}."
                    : $"The {clock} clock breached and {ownerKind} {ownerId} is the top of the chain of command: nobody to escalate to.");
        return clock == SlaClocks.Acknowledge
            ? new EscalationPlan(EscalationOutcomes.CustodyRequested, above, level,
                $"The acknowledge clock breached: {ownerKind} {ownerId} did not acknowledge the case in time; escalated to level {level}.")
            : new EscalationPlan(EscalationOutcomes.SupervisorNotified, above, level,
                $"The {clock} clock breached while {ownerKind} {ownerId} owns the case; {above} is asked to act.");
    }

    /// <summary>The gap monitor found an owner who cannot hold the case: the case moves to the first active person above (or the unit's commander, or the top).</summary>
    public static EscalationPlan OnUnownedCase(string ownerKind, string ownerId, string unitId, int currentLevel, ChainOfCommand chain, string problem)
    {
        var target = chain.Above(ownerKind, ownerId) ?? chain.Above("unit", unitId) ?? chain.Top();
        return target is null
            ? new EscalationPlan(EscalationOutcomes.TopOfChain, null, currentLevel, $"The case's owner {ownerKind} {ownerId} is {problem}, and nobody active could be found to take it.")
            : new EscalationPlan(EscalationOutcomes.CustodyRequested, target, currentLevel + 1,
                $"The gap monitor found the case's owner {ownerKind} {ownerId} {problem}; escalated to {target}.");
    }
}
