using System.Text;
using Accountability.ServiceDefaults.Http;

namespace Accountability.Intake.Features.Open311;

/// <summary>
/// Reads an application/x-www-form-urlencoded body and refuses what ASP.NET's form reader would
/// quietly repair: non-ASCII bytes on the wire, broken percent escapes, and percent-decoded bytes
/// that are not UTF-8 (the framework turns those into U+FFFD and stores garbage).
/// </summary>
public static class StrictFormReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public sealed record Outcome(Dictionary<string, string>? Fields, int StatusCode, string? Error);

    public static async Task<Outcome> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var mediaType = request.ContentType?.Split(';', 2)[0].Trim();
        if (!string.Equals(mediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
            return new Outcome(null, StatusCodes.Status400BadRequest, "The body must be application/x-www-form-urlencoded.");

        var limit = request.HttpContext.RequestServices.GetService<ProblemDetailsExtensions.HttpLimits>()?.MaxRequestBodyBytes ?? 256 * 1024;
        using var buffer = new MemoryStream();
        try
        {
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                    return TooLarge();
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
        }

        var body = buffer.ToArray();
        if (body.Any(b => b > 0x7F))
            return new Outcome(null, StatusCodes.Status400BadRequest, "The form body must be ASCII; percent-encode other characters as UTF-8.");

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Encoding.ASCII.GetString(body).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = pair.IndexOf('=');
            var rawName = at < 0 ? pair : pair[..at];
            var rawValue = at < 0 ? "" : pair[(at + 1)..];
            var name = Decode(rawName);
            if (name is null)
                return new Outcome(null, StatusCodes.Status400BadRequest, "A field name is not valid percent-encoded UTF-8.");
            var value = Decode(rawValue);
            if (value is null)
                return new Outcome(null, StatusCodes.Status400BadRequest, $"{name}: not valid percent-encoded UTF-8.");
            if (!fields.TryAdd(name, value))
                return new Outcome(null, StatusCodes.Status400BadRequest, $"{name}: given more than once.");
        }
        return new Outcome(fields, StatusCodes.Status200OK, null);
    }

    private static Outcome TooLarge() => new(null, StatusCodes.Status413PayloadTooLarge, "The request body is too large.");

    /// <summary>'+' is a space; %XX is a byte; the bytes must be UTF-8. Null when any of that fails.</summary>
    private static string? Decode(string raw)
    {
        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '+')
                bytes.Add((byte)' ');
            else if (c == '%')
            {
                if (i + 2 >= raw.Length || !Uri.IsHexDigit(raw[i + 1]) || !Uri.IsHexDigit(raw[i + 2]))
                    return null;
                bytes.Add(Convert.ToByte(raw.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
                bytes.Add((byte)c);
        }
        try
        {
            return StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
