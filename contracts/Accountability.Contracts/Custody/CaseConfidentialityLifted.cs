namespace Accountability.Contracts.Custody;

/// <summary>Internal-affairs command lifted a case's confidentiality: the ordinary need-to-know rule applies again.</summary>
public sealed record CaseConfidentialityLifted
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case.</summary>
    public required long CaseVersion { get; init; }

    public required string Actor { get; init; }

    /// <summary>Why it is no longer confidential. Always given.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }
}
