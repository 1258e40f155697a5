namespace Accountability.Contracts.Notification;

/// <summary>
/// Several notifications that reached their channel in one claim of the dispatcher, announced in one message instead of one
/// each: a complaint's mails usually go out together, and each announcement was a publish and a delivery of its own.
/// The trail records every one of them as the <see cref="NotificationSent"/> it would have been alone. Published only where
/// a queue takes it (<see cref="MustReachAQueueAttribute"/>): an audit that does not know this message yet leaves it in
/// notification's outbox instead of losing it.
/// </summary>
[MustReachAQueue]
public sealed record NotificationsSent
{
    public required IReadOnlyList<AnnouncedNotification> Notifications { get; init; }
}

/// <summary>One notification of <see cref="NotificationsSent"/>.</summary>
public sealed record AnnouncedNotification
{
    /// <summary>Its trail record's id: what the message id is to a NotificationSent announced alone.</summary>
    public required Guid EventId { get; init; }

    public required NotificationSent Sent { get; init; }

    /// <summary>The W3C traceparent of its send, so its trail record joins its case's trace.</summary>
    public string? TraceParent { get; init; }
}
