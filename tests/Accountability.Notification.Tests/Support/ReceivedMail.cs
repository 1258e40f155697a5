using System.Text;
using System.Text.RegularExpressions;

namespace Accountability.Notification.Tests.Support;

/// <summary>One message as the SMTP server received it, with its MIME parts decoded for assertions.</summary>
public sealed partial record ReceivedMail(string From, IReadOnlyList<string> Recipients, string Raw, IReadOnlyDictionary<string, string> Headers, string Subject, string Text, string Html)
{
    public static ReceivedMail Parse(string from, IReadOnlyList<string> recipients, string raw)
    {
        var (headers, body) = SplitHeaders(raw);
        var subject = DecodeHeader(headers.GetValueOrDefault("subject", ""));
        var text = "";
        var html = "";
        var boundary = Boundary().Match(headers.GetValueOrDefault("content-type", "")) is { Success: true } match ? match.Groups[1].Value : null;
        if (boundary is not null)
        {
            foreach (var part in body.Split("--" + boundary).Skip(1))
            {
                if (part.StartsWith("--", StringComparison.Ordinal))
                    break;
                var (partHeaders, partBody) = SplitHeaders(part.TrimStart('\r', '\n'));
                var decoded = partHeaders.GetValueOrDefault("content-transfer-encoding", "") == "quoted-printable" ? DecodeQuotedPrintable(partBody) : partBody;
                if (partHeaders.GetValueOrDefault("content-type", "").StartsWith("text/plain", StringComparison.Ordinal))
                    text = decoded;
                else if (partHeaders.GetValueOrDefault("content-type", "").StartsWith("text/html", StringComparison.Ordinal))
                    html = decoded;
            }
        }
        return new ReceivedMail(from, recipients, raw, headers, subject, text, html);
    }

    private static (Dictionary<string, string> Headers, string Body) SplitHeaders(string content)
    {
        var end = content.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = end < 0 ? content : content[..end];
        var body = end < 0 ? "" : content[(end + 4)..];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? last = null;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.Length > 0 && char.IsWhiteSpace(line[0]) && last is not null)
            {
                headers[last] += " " + line.Trim();
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            last = line[..colon].Trim();
            headers[last] = line[(colon + 1)..].Trim();
        }
        return (headers, body);
    }

    private static string DecodeHeader(string value) =>
        EncodedWord().Replace(value, m => Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value)));

    private static string DecodeQuotedPrintable(string text)
    {
        var bytes = new List<byte>();
        var unfolded = text.Replace("=\r\n", "", StringComparison.Ordinal);
        for (var i = 0; i < unfolded.Length; i++)
        {
            if (unfolded[i] == '=' && i + 2 < unfolded.Length && Uri.IsHexDigit(unfolded[i + 1]) && Uri.IsHexDigit(unfolded[i + 2]))
            {
                bytes.Add(Convert.ToByte(unfolded.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
                bytes.AddRange(Encoding.UTF8.GetBytes(unfolded[i].ToString()));
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }

    // The whole raw message in every assertion failure would bury the point.
    public override string ToString() =>
        $"ReceivedMail {{ To = {string.Join(", ", Recipients)}, Subject = {Subject}, Delivery = {Headers.GetValueOrDefault("X-Accountability-Delivery")} }}";

    [GeneratedRegex("boundary=\"([^\"]+)\"")]
    private static partial Regex Boundary();

    [GeneratedRegex(@"=\?utf-8\?B\?([^?]*)\?=", RegexOptions.IgnoreCase)]
    private static partial Regex EncodedWord();
}
