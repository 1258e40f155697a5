namespace Accountability.Contracts.Custody;

/// <summary>
/// Internal-affairs command made the case confidential, or changed its team: from now on only the named team,
/// the owner, a pending handoff's receiver, internal-affairs command and auditors see it; dispatchers and admins
/// see its number, owner and status only. The team is the whole team after the change, not a difference.
/// </summary>
public sealed record CaseMarkedConfidential
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>The internal-affairs commander who decided it.</summary>
    public required string Actor { get; init; }

    /// <summary>Why the case is confidential. Always given.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>Person ids of everyone on the team; the owner at that instant is always among them.</summary>
    public required IReadOnlyList<string> Team { get; init; }
}
