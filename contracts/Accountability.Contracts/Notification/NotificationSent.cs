namespace Accountability.Contracts.Notification;

/// <summary>
/// A notification reached its channel (the SMTP relay accepted it, or the webhook answered 2xx).
/// Carries no address and no message text: contact details never travel in events.
/// </summary>
public sealed record NotificationSent
{
    /// <summary>The delivery log entry; GET /api/notifications shows it.</summary>
    public required Guid DeliveryId { get; init; }

    /// <summary>The case it is about; null for notifications that concern no case.</summary>
    public Guid? CaseId { get; init; }

    /// <summary>complainant, owner, supervisor, or requester (who asked for a handoff, when not the owner).</summary>
    public required string RecipientRole { get; init; }

    /// <summary>The person id for staff; null for the complainant.</summary>
    public string? RecipientPersonId { get; init; }

    /// <summary>email or webhook.</summary>
    public required string Channel { get; init; }

    /// <summary>The trigger, e.g. receipt, routed, resolution, assignment, escalation.</summary>
    public required string Template { get; init; }

    /// <summary>Attempts it took, this one included.</summary>
    public required int Attempts { get; init; }

    public required DateTimeOffset SentAt { get; init; }
}
