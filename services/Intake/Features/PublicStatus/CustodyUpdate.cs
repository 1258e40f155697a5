namespace Accountability.Intake.Features.PublicStatus;

/// <summary>
/// What one custody event means for the public view: the owner after it, perhaps a new status,
/// perhaps a public milestone. Built by the consumers; applied by <see cref="StatusProjection"/>.
/// </summary>
public sealed record CustodyUpdate
{
    public required Guid CaseId { get; init; }
    public required long CaseVersion { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string OwnerKind { get; init; }
    public required string OwnerId { get; init; }

    /// <summary>received, assigned or resolved; null keeps the current status.</summary>
    public string? Status { get; init; }

    /// <summary>routed, transferred, contacted, resolved or reopened; null when the event is not a public milestone.</summary>
    public string? Milestone { get; init; }

    /// <summary>On resolution, each allegation's finding (JSON array of {allegationId, finding}); on a reopen, "null" clears it.</summary>
    public string? FindingsJson { get; init; }
}

public static class PublicStatuses
{
    public const string Received = "received";
    public const string Assigned = "assigned";
    public const string Resolved = "resolved";
}

public static class Milestones
{
    public const string Received = "received";
    public const string Routed = "routed";
    public const string Transferred = "transferred";
    public const string Contacted = "contacted";
    public const string Resolved = "resolved";
    public const string Reopened = "reopened";
}
