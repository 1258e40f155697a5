namespace Accountability.Contracts.Custody;

/// <summary>The case is closed with a finding on every allegation. The owner stays accountable for it.</summary>
public sealed record CaseResolved
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case: consumers use it to drop stale or duplicate events.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>A person id, or "system:&lt;component&gt;" when no person acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened; empty where no reason applies.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>"person" or "unit".</summary>
    public required string OwnerKind { get; init; }
    public required string OwnerId { get; init; }

    public required IReadOnlyList<AllegationFinding> Findings { get; init; }
}
