namespace Accountability.Contracts.Custody;

/// <summary>Custody moved: the previous interval closed and the new one opened at OccurredAt. Every change of owner, of every kind, is one of these.</summary>
public sealed record CustodyTransferred
{
    public required Guid CaseId { get; init; }

    /// <summary>Assigned by the assignment service, +1 per event on this case: consumers use it to drop stale or duplicate events.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>A person id, or "system:&lt;component&gt;" when no person acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened; empty where no reason applies.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>"person" or "unit"; null only for the first interval (received).</summary>
    public string? FromOwnerKind { get; init; }
    public string? FromOwnerId { get; init; }

    /// <summary>"person" or "unit".</summary>
    public required string ToOwnerKind { get; init; }
    public required string ToOwnerId { get; init; }

    /// <summary>received, routed, handoff, escalated, reassigned or reopened.</summary>
    public required string TransferKind { get; init; }

    /// <summary>The accepted handoff, for TransferKind "handoff".</summary>
    public Guid? HandoffId { get; init; }

    /// <summary>1 = first supervisor, 2 = the next one up..., for TransferKind "escalated".</summary>
    public int? EscalationLevel { get; init; }
}
