namespace Accountability.Contracts.Custody;

/// <summary>A finding was recorded (or corrected) for one allegation.</summary>
public sealed record FindingsRecorded
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case: consumers use it to drop stale or duplicate events.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>A person id, or "system:&lt;component&gt;" when no person acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened; empty where no reason applies.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public required string AllegationId { get; init; }

    /// <summary>sustained, not-sustained, exonerated, unfounded, policy-failure or withdrawn.</summary>
    public required string Finding { get; init; }

    /// <summary>The finding it replaces; null the first time.</summary>
    public string? PreviousFinding { get; init; }
}
