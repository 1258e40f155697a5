using MimeKit;
using MimeKit.Text;

namespace Accountability.Notification.Features.Delivery.Email;

/// <summary>
/// Turns an <see cref="EmailMessage"/> into MIME with MimeKit: multipart/alternative with a text/plain
/// and a text/html part, UTF-8, headers encoded as RFC 2047 where they need it.
/// </summary>
public static class MailComposer
{
    public static MimeMessage Compose(EmailMessage email, DateTimeOffset date)
    {
        var message = new MimeMessage { Subject = email.Subject, Date = date, MessageId = email.MessageId };
        message.From.Add(MailboxAddress.Parse(email.From));
        message.To.Add(MailboxAddress.Parse(email.To));
        foreach (var (name, value) in email.ExtraHeaders)
            message.Headers.Add(name, value.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
        message.Body = new MultipartAlternative { Part(TextFormat.Plain, email.Text), Part(TextFormat.Html, email.Html) };
        return message;
    }

    // Quoted-printable keeps every line 7-bit and short, so any relay passes it on unchanged,
    // with or without 8BITMIME.
    private static TextPart Part(TextFormat format, string content)
    {
        var part = new TextPart(format) { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
        part.SetText(System.Text.Encoding.UTF8, content);
        return part;
    }
}
