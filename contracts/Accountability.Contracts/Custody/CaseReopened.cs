namespace Accountability.Contracts.Custody;

/// <summary>A resolved case is open again. When the owner changes, a CustodyTransferred (reopened) follows.</summary>
public sealed record CaseReopened
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case: consumers use it to drop stale or duplicate events.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>A person id, or "system:&lt;component&gt;" when no person acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened; empty where no reason applies.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>Who has the case now: the last person owner, or their first active supervisor. "person" or "unit".</summary>
    public required string OwnerKind { get; init; }
    public required string OwnerId { get; init; }
}
