namespace Accountability.Contracts.Notification;

/// <summary>
/// The complainant followed the opt-out link: from now on they hear only the resolution (the
/// receipt has already gone). Nothing identifies them beyond the case.
/// </summary>
public sealed record ComplainantOptedOut
{
    public required Guid CaseId { get; init; }

    public required DateTimeOffset OptedOutAt { get; init; }
}
