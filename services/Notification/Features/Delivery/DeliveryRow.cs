namespace Accountability.Notification.Features.Delivery;

/// <summary>
/// A claimed delivery, as the dispatcher reads it, and when the next other pending one comes due
/// (seconds from now, negative when already due; null when there is none).
/// </summary>
public sealed record DeliveryRow(
    Guid Id, string Template, string Channel, Guid? CaseId, string RecipientRole, string? RecipientId,
    string Parameters, int Attempts, int RoundAttempts, string? Traceparent, double? NextDueInSeconds);
