namespace Accountability.Contracts.Custody;

/// <summary>The handoff was withdrawn (by the owner's side, or because custody moved another way); the case stays with its owner.</summary>
public sealed record HandoffCancelled
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case: consumers use it to drop stale or duplicate events.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>A person id, or "system:&lt;component&gt;" when no person acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened; empty where no reason applies.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public required Guid HandoffId { get; init; }

    /// <summary>The owner who holds the case while the handoff is pending: "person" or "unit".</summary>
    public required string FromOwnerKind { get; init; }
    public required string FromOwnerId { get; init; }

    /// <summary>The named receiver: "person" or "unit".</summary>
    public required string ToOwnerKind { get; init; }
    public required string ToOwnerId { get; init; }

    /// <summary>Who asked for the handoff (the owner, their chain, or a dispatcher), so they hear how it ended; null from senders before it was added.</summary>
    public string? RequestedBy { get; init; }
}
