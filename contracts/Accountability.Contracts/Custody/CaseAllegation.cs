namespace Accountability.Contracts.Custody;

/// <summary>One allegation of a complaint, as the custody rules see it.</summary>
public sealed record CaseAllegation
{
    /// <summary>Stable within the case; findings refer to it.</summary>
    public required string Id { get; init; }

    /// <summary>The complaint category code of this allegation, e.g. "force".</summary>
    public required string Type { get; init; }

    /// <summary>Empty when the officer is not identified: an allegation against an unidentified officer is valid.</summary>
    public required string OfficerBadge { get; init; }

    /// <summary>The officer as the complainant described them, when given.</summary>
    public string? OfficerDescription { get; init; }
}
