using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Accountability.TestSupport;

/// <summary>An HTTP answer read in full: status, body, and the body as JSON when it is JSON.</summary>
public sealed record Reply(HttpMethod Method, string Path, HttpStatusCode Status, string Body, string? ContentType)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    /// <summary>Asserts the expected status and returns the reply, naming the request and the body when it is not.</summary>
    public Reply Expect(HttpStatusCode expected)
    {
        Assert.True(Status == expected, $"{Method} {Path}: expected {(int)expected}, got {(int)Status} {Body}");
        return this;
    }

    public JsonElement Ok() => Expect(HttpStatusCode.OK).Json;

    public override string ToString() => $"{Method} {Path} -> {(int)Status} {Body}";
}

/// <summary>Talks to a service the only way these tests may: over HTTP, with a bearer token where one is needed.</summary>
public static class ServiceHttp
{
    /// <summary>How long a flow across services may take: generous, because other test runs share the broker (and may stop it for a while).</summary>
    public static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(90);

    public static Task<Reply> GetAsync(this ServiceProcess service, string path, string? token = null) =>
        service.SendAsync(HttpMethod.Get, path, token);

    public static Task<Reply> PostAsync(this ServiceProcess service, string path, string? token = null, object? json = null) =>
        service.SendAsync(HttpMethod.Post, path, token, json is null ? null : JsonContent.Create(json));

    public static async Task<Reply> SendAsync(this ServiceProcess service, HttpMethod method, string path, string? token = null,
        HttpContent? content = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            request.Headers.TryAddWithoutValidation(name, value);
        using var response = await service.Client.SendAsync(request);
        return new Reply(method, path, response.StatusCode, await response.Content.ReadAsStringAsync(),
            response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>GETs until the JSON answer satisfies <paramref name="accept"/>; the last answer is in the timeout message.</summary>
    public static async Task<JsonElement> GetUntilAsync(this ServiceProcess service, string path, string? token,
        Func<JsonElement, bool> accept, string description, TimeSpan? timeout = null)
    {
        Reply? last = null;
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                last = await service.GetAsync(path, token);
                return last.IsSuccess && last.ContentType is "application/json" or "application/problem+json" && accept(last.Json);
            }, description, timeout ?? FlowTimeout);
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException($"{exception.Message}\nLast answer: {last}", exception);
        }
        return last!.Json;
    }
}
