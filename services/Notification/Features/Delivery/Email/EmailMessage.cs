namespace Accountability.Notification.Features.Delivery.Email;

/// <summary>One e-mail to one recipient: a plain-text and an HTML rendering of the same message.</summary>
public sealed record EmailMessage(
    string From, string To, string Subject, string Text, string Html, string MessageId,
    IReadOnlyDictionary<string, string> ExtraHeaders)
{
    // Never print the recipient: a message object can end up in a log line or an exception.
    public override string ToString() => $"EmailMessage {{ MessageId = {MessageId} }}";
}
