using Accountability.Contracts.Custody;

namespace Accountability.Assignment.Features.Custody;

/// <summary>What someone asks the custody rules to do. <see cref="Actor"/> is a person id or "system:&lt;component&gt;".</summary>
public abstract record CustodyCommand(string Actor)
{
    /// <summary>Takes the complaint into custody: the intake desk owns it from the receipt instant.</summary>
    public sealed record Receive(
        Guid CaseId,
        string IntakeDeskUnitId,
        IReadOnlyList<string> SubjectOfficerBadges,
        IReadOnlyList<CaseAllegation> Allegations,
        string Category,
        string? District,
        string Actor,
        string? CaseNumber = null) : CustodyCommand(Actor);

    /// <summary>Moves the case from the intake desk to the unit the routing rules chose, or to one of its people.</summary>
    public sealed record Route(string UnitId, string? ToPersonId, string Reason, string Actor) : CustodyCommand(Actor);

    /// <summary>Adds an allegation (<paramref name="AllegationId"/> null) or corrects one that has no finding yet.</summary>
    public sealed record AmendAllegation(
        string? AllegationId, string Type, string OfficerBadge, string? OfficerDescription, string Reason, string Actor) : CustodyCommand(Actor);

    public sealed record RequestHandoff(Guid HandoffId, CaseOwner To, string Reason, string Actor) : CustodyCommand(Actor);

    public sealed record AcceptHandoff(Guid HandoffId, string Actor) : CustodyCommand(Actor);

    public sealed record DeclineHandoff(Guid HandoffId, string Reason, string Actor) : CustodyCommand(Actor);

    public sealed record CancelHandoff(Guid HandoffId, string Reason, string Actor) : CustodyCommand(Actor);

    /// <summary>Sent when the handoff-accept clock runs out.</summary>
    public sealed record ExpireHandoff(Guid HandoffId, string Actor) : CustodyCommand(Actor);

    public sealed record Acknowledge(string Actor) : CustodyCommand(Actor);

    /// <summary>Someone reached the complainant: how (<see cref="ContactMethods"/>) and, optionally, what was said.</summary>
    public sealed record RecordContact(string Method, string? Note, string Actor) : CustodyCommand(Actor);

    public sealed record RecordFinding(string AllegationId, string Finding, string Actor) : CustodyCommand(Actor);

    public sealed record Resolve(string Reason, string Actor) : CustodyCommand(Actor);

    public sealed record Reopen(string Reason, string Actor) : CustodyCommand(Actor);

    /// <summary>A supervisor's forced transfer: no acceptance needed.</summary>
    public sealed record Reassign(string ToPersonId, string Reason, string Actor) : CustodyCommand(Actor);

    /// <summary>Internal-affairs command makes the case confidential, or names a new team; the owner joins the team.</summary>
    public sealed record MarkConfidential(IReadOnlyList<string> Team, string Reason, string Actor) : CustodyCommand(Actor);

    /// <summary>Internal-affairs command ends confidentiality: the ordinary need-to-know rule applies again.</summary>
    public sealed record LiftConfidentiality(string Reason, string Actor) : CustodyCommand(Actor);

    /// <summary>An SLA breach moves the case up the chain; Level 1 is the first supervisor.</summary>
    public sealed record Escalate(string ToPersonId, string Reason, int Level, string Actor) : CustodyCommand(Actor);
}
