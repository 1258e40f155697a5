namespace Accountability.Contracts.Notification;

/// <summary>
/// A notification gave up: its retries ran out, or it could never be sent (a malformed address, an
/// unknown recipient). It stays visible in GET /api/notifications/failed and can be re-driven.
/// </summary>
public sealed record NotificationFailed
{
    public required Guid DeliveryId { get; init; }

    public Guid? CaseId { get; init; }

    /// <summary>complainant, owner, supervisor, or requester (who asked for a handoff, when not the owner).</summary>
    public required string RecipientRole { get; init; }

    /// <summary>The person id for staff; null for the complainant.</summary>
    public string? RecipientPersonId { get; init; }

    /// <summary>email or webhook.</summary>
    public required string Channel { get; init; }

    public required string Template { get; init; }

    public required int Attempts { get; init; }

    /// <summary>Why, in words; never contains an address or any other contact detail.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset FailedAt { get; init; }
}
