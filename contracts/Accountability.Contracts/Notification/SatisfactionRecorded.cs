namespace Accountability.Contracts.Notification;

/// <summary>A complainant answered the satisfaction question sent at resolution. Recorded once per case.</summary>
public sealed record SatisfactionRecorded
{
    public required Guid CaseId { get; init; }

    /// <summary>The unit that handled the case, as the directory named it at resolution; null when unknown.</summary>
    public string? UnitId { get; init; }

    /// <summary>1 (very dissatisfied) to 5 (very satisfied).</summary>
    public required int Answer { get; init; }

    public required DateTimeOffset RecordedAt { get; init; }
}
