using System.Text.RegularExpressions;

namespace Accountability.Notification.Features.Delivery;

/// <summary>
/// Text from outside (an SMTP server's reply, an exception message) can quote the recipient's
/// address. It is scrubbed before it is logged, stored as a reason, or put into an event.
/// </summary>
public static partial class Redaction
{
    public static string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        var scrubbed = EmailLike().Replace(text, "[address]");
        return scrubbed.Length <= 300 ? scrubbed : scrubbed[..300] + "…";
    }

    [GeneratedRegex(@"[^\s<>""'(),;:]+@[^\s<>""'(),;:]+")]
    private static partial Regex EmailLike();
}
