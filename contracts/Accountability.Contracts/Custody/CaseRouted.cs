namespace Accountability.Contracts.Custody;

/// <summary>
/// Routing chose where the case goes. The move itself is the CustodyTransferred (routed) that follows it, at the next
/// case version, with the same reason and owner: notification plans the new owner's news from this event, under the key
/// of that transfer, so it need not take the transfer too.
/// </summary>
public sealed record CaseRouted
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case: consumers use it to drop stale or duplicate events.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>A person id, or "system:&lt;component&gt;" when no person acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened; empty where no reason applies.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The unit the routing rules chose; the owner is that unit or one of its people.</summary>
    public required string UnitId { get; init; }

    /// <summary>"person" or "unit".</summary>
    public required string ToOwnerKind { get; init; }
    public required string ToOwnerId { get; init; }
}
