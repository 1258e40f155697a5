using System.Text;
using System.Text.RegularExpressions;

namespace Accountability.TestSupport.Smtp;

/// <summary>
/// One message as the SMTP server received it, with just enough MIME reading (RFC 2045-2047) to see
/// what a mail program would show: decoded headers, and the text and HTML parts decoded from
/// quoted-printable or base64.
/// </summary>
public sealed partial record ReceivedMail
{
    public required string From { get; init; }

    public required IReadOnlyList<string> Recipients { get; init; }

    /// <summary>The message exactly as sent after DATA (dot-stuffing undone), CRLF line ends.</summary>
    public required string Raw { get; init; }

    /// <summary>Top-level headers, unfolded; the first occurrence of each name.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    public string Subject => DecodeHeader(Headers.GetValueOrDefault("Subject") ?? "");

    /// <summary>The text/plain content (the whole body when the message is not multipart).</summary>
    public required string Text { get; init; }

    public string? Html { get; init; }

    public bool IsFor(string address) => Recipients.Contains(address, StringComparer.OrdinalIgnoreCase);

    public static ReceivedMail Parse(string from, IReadOnlyList<string> recipients, string raw)
    {
        var (headers, body) = Split(raw);
        string? text = null, html = null;
        if (MediaType(headers) is { } type && type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase)
            && Parameter(headers["Content-Type"], "boundary") is { } boundary)
        {
            foreach (var part in Parts(body, boundary))
            {
                var (partHeaders, partBody) = Split(part);
                var partType = MediaType(partHeaders) ?? "text/plain";
                var content = Decode(partHeaders, partBody);
                if (partType.Equals("text/plain", StringComparison.OrdinalIgnoreCase))
                    text ??= content;
                else if (partType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
                    html ??= content;
            }
        }
        else
        {
            var content = Decode(headers, body);
            if ((MediaType(headers) ?? "text/plain").Equals("text/html", StringComparison.OrdinalIgnoreCase))
                html = content;
            else
                text = content;
        }
        return new ReceivedMail { From = from, Recipients = recipients, Raw = raw, Headers = headers, Text = text ?? "", Html = html };
    }

    /// <summary>RFC 2045 quoted-printable: soft breaks removed, =XX turned back into bytes, then the charset applied.</summary>
    public static string DecodeQuotedPrintable(string encoded, Encoding charset)
    {
        var bytes = new List<byte>(encoded.Length);
        var unfolded = encoded.Replace("=\r\n", "", StringComparison.Ordinal).Replace("=\n", "", StringComparison.Ordinal);
        for (var i = 0; i < unfolded.Length; i++)
        {
            if (unfolded[i] == '=' && i + 2 < unfolded.Length && IsHex(unfolded[i + 1]) && IsHex(unfolded[i + 2]))
            {
                bytes.Add(Convert.ToByte(unfolded.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
                bytes.Add((byte)unfolded[i]);
        }
        return charset.GetString([.. bytes]);
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static (Dictionary<string, string> Headers, string Body) Split(string entity)
    {
        var end = entity.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = end < 0 ? entity : entity[..end];
        var body = end < 0 ? "" : entity[(end + 4)..];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? name = null;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t') && name is not null)
            {
                headers[name] += " " + line.Trim();
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                continue;
            name = line[..colon].Trim();
            if (!headers.ContainsKey(name))
                headers[name] = line[(colon + 1)..].Trim();
            else
                name = null; // keep the first occurrence; ignore the continuation of a repeat
        }
        return (headers, body);
    }

    private static IEnumerable<string> Parts(string body, string boundary)
    {
        var delimiter = "--" + boundary;
        var pieces = body.Split(delimiter);
        // pieces[0] is the preamble; the piece after the closing delimiter starts with "--".
        foreach (var piece in pieces.Skip(1))
        {
            if (piece.StartsWith("--", StringComparison.Ordinal))
                yield break;
            var part = piece.StartsWith("\r\n", StringComparison.Ordinal) ? piece[2..] : piece;
            yield return part.EndsWith("\r\n", StringComparison.Ordinal) ? part[..^2] : part;
        }
    }

    private static string Decode(IReadOnlyDictionary<string, string> headers, string body)
    {
        var charset = Parameter(headers.GetValueOrDefault("Content-Type") ?? "", "charset") is { } name
            ? Encoding.GetEncoding(name)
            : Encoding.ASCII;
        return (headers.GetValueOrDefault("Content-Transfer-Encoding") ?? "7bit").Trim().ToLowerInvariant() switch
        {
            "quoted-printable" => DecodeQuotedPrintable(body, charset),
            "base64" => charset.GetString(Convert.FromBase64String(string.Concat(body.Where(c => !char.IsWhiteSpace(c))))),
            _ => charset.GetString(Encoding.Latin1.GetBytes(body)),
        };
    }

    private static string? MediaType(IReadOnlyDictionary<string, string> headers) =>
        headers.GetValueOrDefault("Content-Type") is { } value ? value.Split(';')[0].Trim() : null;

    private static string? Parameter(string headerValue, string parameter)
    {
        foreach (var piece in headerValue.Split(';').Skip(1))
        {
            var equals = piece.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && piece[..equals].Trim().Equals(parameter, StringComparison.OrdinalIgnoreCase))
                return piece[(equals + 1)..].Trim().Trim('"');
        }
        return null;
    }

    /// <summary>RFC 2047 encoded words (=?charset?B|Q?...?=) in a header value.</summary>
    private static string DecodeHeader(string value) =>
        EncodedWord().Replace(value, match =>
        {
            var charset = Encoding.GetEncoding(match.Groups["charset"].Value);
            var text = match.Groups["text"].Value;
            return match.Groups["encoding"].Value.ToUpperInvariant() == "B"
                ? charset.GetString(Convert.FromBase64String(text))
                : DecodeQuotedPrintable(text.Replace('_', ' '), charset);
        });

    [GeneratedRegex(@"=\?(?<charset>[^?]+)\?(?<encoding>[BbQq])\?(?<text>[^?]*)\?=")]
    private static partial Regex EncodedWord();
}
