namespace Accountability.Contracts.Intake;

/// <summary>One allegation as filed: what kind of misconduct, against which officer.</summary>
public sealed record ReceivedAllegation
{
    /// <summary>Stable for the life of the case; findings refer to it.</summary>
    public required Guid AllegationId { get; init; }

    /// <summary>A complaint category code (<see cref="ComplaintCategories"/>).</summary>
    public required string Type { get; init; }

    /// <summary>One of the complaint's SubjectOfficerBadges, or empty when the complainant could not identify the officer.</summary>
    public required string OfficerBadge { get; init; }

    /// <summary>The officer as the complainant described them (a name, or what they looked like), when given.</summary>
    public string? OfficerDescription { get; init; }
}
