namespace Accountability.Contracts.Custody;

/// <summary>Someone working the case reached the complainant; the first one stops the first-contact clock.</summary>
public sealed record ComplainantContacted
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

    /// <summary>A value of <see cref="ContactMethods"/>; null on events recorded before the method was asked for.</summary>
    public string? Method { get; init; }

    /// <summary>What was said or agreed, in the words of whoever made the contact; null or empty when they wrote nothing.</summary>
    public string? Note { get; init; }
}
