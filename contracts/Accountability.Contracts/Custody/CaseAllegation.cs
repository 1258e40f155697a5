namespace Accountability.Contracts.Custody;

/// <summary>One allegation of a complaint, as the custody rules see it.</summary>
public sealed record CaseAllegation
{
    /// <summary>Stable within the case; findings refer to it.</summary>
    public required string Id { get; init; }

    /// <summary>The complaint category code of this allegation, e.g. "force".</summary>
    public required string Type { get; init; }

    public required string OfficerBadge { get; init; }
}
