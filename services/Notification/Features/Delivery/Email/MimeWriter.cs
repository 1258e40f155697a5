using System.Globalization;
using System.Text;

namespace Accountability.Notification.Features.Delivery.Email;

/// <summary>
/// Writes an e-mail as RFC 5322 + MIME: multipart/alternative with text/plain and text/html parts,
/// UTF-8, quoted-printable, CRLF line ends. Every line stays 7-bit, so any relay accepts it.
/// </summary>
public static class MimeWriter
{
    public static string Write(EmailMessage message, DateTimeOffset date)
    {
        var boundary = "=_alt_" + Guid.NewGuid().ToString("N");
        var builder = new StringBuilder();
        void Header(string name, string value) => builder.Append(name).Append(": ").Append(value).Append("\r\n");

        Header("From", message.From);
        Header("To", message.To);
        Header("Subject", EncodeHeader(message.Subject));
        Header("Date", date.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + date.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal));
        Header("Message-ID", $"<{message.MessageId}>");
        foreach (var (name, value) in message.ExtraHeaders)
            Header(name, value.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
        Header("MIME-Version", "1.0");
        Header("Content-Type", $"multipart/alternative; boundary=\"{boundary}\"");
        builder.Append("\r\n");
        foreach (var (type, content) in new[] { ("text/plain", message.Text), ("text/html", message.Html) })
        {
            builder.Append("--").Append(boundary).Append("\r\n");
            Header("Content-Type", $"{type}; charset=utf-8");
            Header("Content-Transfer-Encoding", "quoted-printable");
            builder.Append("\r\n").Append(QuotedPrintable(content)).Append("\r\n");
        }
        builder.Append("--").Append(boundary).Append("--\r\n");
        return builder.ToString();
    }

    /// <summary>RFC 2047 encoded-word for a header with anything beyond printable ASCII.</summary>
    public static string EncodeHeader(string value) =>
        value.All(c => c is >= ' ' and <= '~')
            ? value
            : $"=?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(value))}?=";

    /// <summary>RFC 2045 quoted-printable, with line breaks normalised to CRLF and soft breaks under 76 characters.</summary>
    public static string QuotedPrintable(string text)
    {
        var output = new StringBuilder();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
                output.Append("\r\n");
            var bytes = Encoding.UTF8.GetBytes(lines[i]);
            var lineLength = 0;
            for (var b = 0; b < bytes.Length; b++)
            {
                var value = bytes[b];
                var last = b == bytes.Length - 1;
                // A dot first on a line is encoded too, so the transport's dot-stuffing never matters.
                var literal = value is >= 33 and <= 126 && value != (byte)'=' && !(value == (byte)'.' && lineLength == 0)
                              || value is (byte)' ' or (byte)'\t' && !last;
                var piece = literal ? ((char)value).ToString() : $"={value:X2}";
                if (lineLength + piece.Length > 75)
                {
                    output.Append("=\r\n");
                    lineLength = 0;
                }
                output.Append(piece);
                lineLength += piece.Length;
            }
        }
        return output.ToString();
    }
}
