namespace Accountability.Contracts.Custody;

/// <summary>
/// An allegation was added to the case, or corrected (its kind, its officer), while it was investigated.
/// A new officer's badge joins the case's subject officers, with everything the conflict rule implies.
/// </summary>
public sealed record AllegationAmended
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case.</summary>
    public required long CaseVersion { get; init; }

    public required string Actor { get; init; }

    /// <summary>Why: what the investigator learned. Always given.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The allegation after the change; a new id when one was added.</summary>
    public required CaseAllegation Allegation { get; init; }

    /// <summary>The allegation as it was; null when this one was added.</summary>
    public CaseAllegation? Previous { get; init; }

    /// <summary>The case's subject officers after the change.</summary>
    public required IReadOnlyList<string> SubjectOfficerBadges { get; init; }
}
