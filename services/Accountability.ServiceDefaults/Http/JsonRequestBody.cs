using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Accountability.ServiceDefaults.Http;

/// <summary>Either the deserialized body, or the problem+json reply that explains why there is none.</summary>
public sealed record JsonBody<T>(T? Value, IResult? Problem) where T : class
{
    public bool IsValid => Value is not null;
}

/// <summary>
/// Reads a JSON request body with field-level reasons for every way it can be wrong. Minimal APIs'
/// own binding answers a bare 400 for malformed JSON; this answers a validation problem naming
/// the path, line and position, and never echoes the body (it may carry personal data).
/// </summary>
public static class JsonRequestBody
{
    /// <summary>Web defaults, and unknown properties are refused: a misspelt field should not be silently dropped.</summary>
    public static readonly JsonSerializerOptions StrictWeb = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    public static async Task<JsonBody<T>> ReadAsync<T>(HttpRequest request, JsonSerializerOptions? options = null, CancellationToken cancellationToken = default)
        where T : class
    {
        if (!IsJsonContentType(request.ContentType))
            return Fail<T>(Results.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type",
                detail: "Send the body as application/json."));

        byte[] body;
        try
        {
            body = await ReadAllAsync(request, cancellationToken);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Fail<T>(Results.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "Request body too large",
                detail: "The body is larger than this service accepts."));
        }

        if (body.Length == 0)
            return Invalid<T>("$", "The body is empty; a JSON object is required.");
        if (!Utf8.IsValid(body))
            return Invalid<T>("$", $"The body is not valid UTF-8 (first invalid byte at offset {FirstInvalidUtf8Offset(body)}).");

        try
        {
            var value = JsonSerializer.Deserialize<T>(body, options ?? StrictWeb);
            return value is null
                ? Invalid<T>("$", "The body is JSON null; a JSON object is required.")
                : new JsonBody<T>(value, null);
        }
        catch (JsonException exception)
        {
            return Invalid<T>(FieldName(exception.Path), Describe(exception));
        }
    }

    /// <summary>"$.complainant.email" becomes "complainant.email"; the root stays "$".</summary>
    public static string FieldName(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) || jsonPath == "$" ? "$" : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');

    private static string Describe(JsonException exception)
    {
        var where = exception.LineNumber is { } line
            ? $" (line {line + 1}, position {(exception.BytePositionInLine ?? 0) + 1})"
            : "";
        var message = exception.Message;
        // The reader's syntax messages name at most one character; keep the part before its own location suffix.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var reason = cut > 0 ? message[..cut] : message;
        if (reason.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
            reason = "The value has the wrong type or format.";
        else if (reason.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
            reason = "Unknown field.";
        else if (exception.InnerException is not null || reason.Contains("System.", StringComparison.Ordinal))
            reason = "Malformed JSON.";
        return reason + where;
    }

    private static bool IsJsonContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
            return false;
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
               || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<byte[]> ReadAllAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = request.HttpContext.RequestServices.GetService<ProblemDetailsExtensions.HttpLimits>()?.MaxRequestBodyBytes
                    ?? new ProblemDetailsExtensions.HttpLimits().MaxRequestBodyBytes;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            // Kestrel enforces the limit too; this covers hosts that do not (and chunked bodies early).
            if (buffer.Length + read > limit)
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static int FirstInvalidUtf8Offset(byte[] body)
    {
        for (var offset = 0; offset < body.Length;)
        {
            var status = System.Text.Rune.DecodeFromUtf8(body.AsSpan(offset), out _, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return body.Length;
    }

    private static JsonBody<T> Invalid<T>(string field, string message) where T : class =>
        Fail<T>(Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] },
            title: "The request body is not valid JSON for this endpoint."));

    private static JsonBody<T> Fail<T>(IResult problem) where T : class => new(null, problem);
}
