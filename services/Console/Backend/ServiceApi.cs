using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;

namespace Accountability.Console.Backend;

/// <summary>The five services behind the console.</summary>
public enum Service { Intake, Assignment, Escalation, Notification, Audit }

/// <summary>A refusal or failure from a service, as its problem+json said it (or as the console saw it, when the service did not answer).</summary>
public sealed record ApiProblem(int Status, string Title, string? Detail, IReadOnlyDictionary<string, string[]> Errors)
{
    /// <summary>One line a person can act on: the detail when there is one, else the title.</summary>
    public string Message => string.IsNullOrWhiteSpace(Detail) ? Title : $"{Title}: {Detail}";

    /// <summary>The message and every field-level reason, on one line.</summary>
    public string Summary => Errors.Count == 0 ? Message : $"{Message} ({string.Join("; ", Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))})";

    public string? ErrorFor(string field) =>
        Errors.FirstOrDefault(e => string.Equals(e.Key, field, StringComparison.OrdinalIgnoreCase)).Value is { Length: > 0 } reasons ? string.Join(" ", reasons) : null;
}

public sealed record ApiResult<T>(T? Value, ApiProblem? Problem)
{
    public bool Ok => Problem is null;
}

/// <summary>
/// Calls a service's HTTP API on behalf of the signed-in user, with the user's own token: the
/// services decide what the user may see and do, never the console. Anonymous pages call the
/// public routes without a token.
/// </summary>
public sealed class ServiceApi(IHttpClientFactory clients, IHttpContextAccessor accessor, ILogger<ServiceApi> logger)
{
    public const string AccessTokenName = "access_token";

    /// <summary>GET with the signed-in person's token, or with <paramref name="bearer"/> when given (the console's own, before anyone signed in).</summary>
    public Task<ApiResult<T>> GetAsync<T>(Service service, string path, CancellationToken ct, string? bearer = null) =>
        SendAsync<T>(service, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (bearer is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            return request;
        }, ct);

    public Task<ApiResult<JsonElement>> PostAsync(Service service, string path, object? body, CancellationToken ct, string? idempotencyKey = null) =>
        SendAsync<JsonElement>(service, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (body is not null)
                request.Content = JsonContent.Create(body, options: JsonSerializerOptions.Web);
            if (idempotencyKey is not null)
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            return request;
        }, ct);

    /// <summary>A response to pass through as it is (an export download). The caller disposes it.</summary>
    public async Task<(HttpResponseMessage? Response, ApiProblem? Problem)> StreamAsync(Service service, string path, CancellationToken ct)
    {
        try
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            await AuthorizeAsync(request);
            var response = await clients.CreateClient(service.ToString()).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.IsSuccessStatusCode)
                return (response, null);
            using (response)
                return (null, await ProblemOfAsync(service, response, ct));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (null, Unreachable(service, exception));
        }
    }

    private async Task<ApiResult<T>> SendAsync<T>(Service service, Func<HttpRequestMessage> build, CancellationToken ct)
    {
        try
        {
            using var request = build();
            await AuthorizeAsync(request);
            using var response = await clients.CreateClient(service.ToString()).SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
                return new(default, await ProblemOfAsync(service, response, ct));
            if (response.Content.Headers.ContentLength == 0 || response.StatusCode == System.Net.HttpStatusCode.NoContent)
                return new(default, null);
            var value = await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web, ct);
            return new(value, null);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new(default, Unreachable(service, exception));
        }
        catch (JsonException exception)
        {
            logger.LogError(exception, "The {Service} service answered with JSON the console cannot read", service);
            return new(default, new ApiProblem(502, $"The {service.ToString().ToLowerInvariant()} service answered in an unexpected form", null, NoErrors));
        }
    }

    private async Task AuthorizeAsync(HttpRequestMessage request)
    {
        if (accessor.HttpContext is not { } http)
            return;
        if (request.Headers.Authorization is null && http.User.Identity?.IsAuthenticated == true
            && await http.GetTokenAsync(AccessTokenName) is { Length: > 0 } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // Intake limits the public per address: name the person's, or everyone would share the console's
        // (intake believes this only from an address in its Intake:TrustedProxies).
        if (http.Connection.RemoteIpAddress is { } client)
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", client.ToString());
    }

    private ApiProblem Unreachable(Service service, Exception exception)
    {
        logger.LogWarning(exception, "The {Service} service did not answer", service);
        return new ApiProblem(503, $"The {service.ToString().ToLowerInvariant()} service is not answering right now",
            "Nothing was changed. Try again in a moment.", NoErrors);
    }

    private static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();

    private static async Task<ApiProblem> ProblemOfAsync(Service service, HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string? title = null, detail = null;
        var errors = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        try
        {
            if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
            {
                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    title = root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                    detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                    if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
                        foreach (var field in e.EnumerateObject())
                            errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                                ? [.. field.Value.EnumerateArray().Select(v => v.ToString())]
                                : [field.Value.ToString()];
                }
            }
        }
        catch (JsonException)
        {
            // Not a problem document: the status code alone speaks.
        }
        title ??= status switch
        {
            401 => "You are not signed in, or your sign-in has expired",
            403 => "Your role does not allow this",
            404 => "Not found",
            409 => "That conflicts with the case's current state",
            429 => "Too many requests; wait a moment and try again",
            _ => $"The {service.ToString().ToLowerInvariant()} service refused the request ({status})",
        };
        return new ApiProblem(status, title, detail, errors);
    }
}
