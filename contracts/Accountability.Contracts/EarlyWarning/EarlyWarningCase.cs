namespace Accountability.Contracts.EarlyWarning;

/// <summary>One case that counted towards an early warning.</summary>
public sealed record EarlyWarningCase
{
    public required Guid CaseId { get; init; }

    /// <summary>The human case number (IA-2026-00042), when known.</summary>
    public string? CaseNumber { get; init; }

    /// <summary>The allegations of this case against the officer that counted.</summary>
    public required IReadOnlyList<string> AllegationIds { get; init; }

    /// <summary>Every subject officer of the case: none of them is told of the warning.</summary>
    public required IReadOnlyList<string> SubjectOfficerBadges { get; init; }
}
