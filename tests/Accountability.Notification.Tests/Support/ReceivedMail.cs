using System.Text;
using MimeKit;

namespace Accountability.Notification.Tests.Support;

/// <summary>One message as the SMTP server received it, read with MimeKit, its parts decoded for assertions.</summary>
public sealed record ReceivedMail(string From, IReadOnlyList<string> Recipients, string Raw, IReadOnlyDictionary<string, string> Headers, string Subject, string Text, string Html)
{
    public static ReceivedMail Parse(string from, IReadOnlyList<string> recipients, string raw)
    {
        // The server read the lines as UTF-8; this gives back the bytes it received.
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(raw));
        var message = MimeMessage.Load(stream);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in message.Headers)
            headers.TryAdd(header.Field, header.Value);
        return new ReceivedMail(from, recipients, raw, headers, message.Subject ?? "", message.TextBody ?? "", message.HtmlBody ?? "");
    }

    // The whole raw message in every assertion failure would bury the point.
    public override string ToString() =>
        $"ReceivedMail {{ To = {string.Join(", ", Recipients)}, Subject = {Subject}, Delivery = {Headers.GetValueOrDefault("X-Accountability-Delivery")} }}";
}
