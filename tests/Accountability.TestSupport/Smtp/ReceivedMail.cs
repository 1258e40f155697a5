using System.Text;
using MimeKit;

namespace Accountability.TestSupport.Smtp;

/// <summary>
/// One message as an SMTP server received it, read with MimeKit the way a mail program would:
/// decoded headers, and the text and HTML parts decoded from their transfer encoding.
/// </summary>
public sealed record ReceivedMail
{
    public required string From { get; init; }

    public required IReadOnlyList<string> Recipients { get; init; }

    /// <summary>The message exactly as sent after DATA (dot-stuffing undone), CRLF line ends.</summary>
    public required string Raw { get; init; }

    /// <summary>Top-level headers, unfolded and decoded; the first occurrence of each name, any case.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    public required string Subject { get; init; }

    /// <summary>The text/plain content (the whole body when the message is not multipart).</summary>
    public required string Text { get; init; }

    public string? Html { get; init; }

    public bool IsFor(string address) => Recipients.Contains(address, StringComparer.OrdinalIgnoreCase);

    public static ReceivedMail Parse(string from, IReadOnlyList<string> recipients, string raw)
    {
        // Latin-1 turns each received byte back into itself, whatever the message's own charsets.
        using var stream = new MemoryStream(Encoding.Latin1.GetBytes(raw));
        var message = MimeMessage.Load(stream);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in message.Headers)
            headers.TryAdd(header.Field, header.Value);
        return new ReceivedMail
        {
            From = from,
            Recipients = recipients,
            Raw = raw,
            Headers = headers,
            Subject = message.Subject ?? "",
            Text = message.TextBody ?? "",
            Html = message.HtmlBody,
        };
    }
}
