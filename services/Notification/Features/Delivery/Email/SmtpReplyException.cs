namespace Accountability.Notification.Features.Delivery.Email;

/// <summary>The relay answered a command with an error code. 4xx means "later"; 5xx means "never".</summary>
public sealed class SmtpReplyException(string command, int code, string text)
    : Exception($"The SMTP relay answered {code} to {command}: {Redaction.Scrub(text)}")
{
    public int Code { get; } = code;

    public bool IsTransient => Code is >= 400 and < 500;
}
