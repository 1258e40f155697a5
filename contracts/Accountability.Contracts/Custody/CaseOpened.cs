namespace Accountability.Contracts.Custody;

/// <summary>Assignment took the complaint into custody; the facts the custody rules need (subject officers, allegations). The intake desk's first interval follows as CustodyTransferred (received).</summary>
public sealed record CaseOpened
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case: consumers use it to drop stale or duplicate events.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>A person id, or "system:&lt;component&gt;" when no person acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened; empty where no reason applies.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public required IReadOnlyList<string> SubjectOfficerBadges { get; init; }
    public required IReadOnlyList<CaseAllegation> Allegations { get; init; }

    /// <summary>The complaint category code, as filed.</summary>
    public required string Category { get; init; }

    /// <summary>The district "1" to "5", when known.</summary>
    public string? District { get; init; }

    /// <summary>The human case number intake gave it (IA-2026-00042); null for cases filed before numbers existed.</summary>
    public string? CaseNumber { get; init; }
}
