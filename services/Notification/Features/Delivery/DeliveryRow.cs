namespace Accountability.Notification.Features.Delivery;

/// <summary>A claimed delivery, as the dispatcher reads it.</summary>
public sealed record DeliveryRow(
    Guid Id, string Template, string Channel, Guid? CaseId, string RecipientRole, string? RecipientId,
    string Parameters, int Attempts, int RoundAttempts, string? Traceparent);
