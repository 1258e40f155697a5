using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Accountability.Notification.Tests.Support;

/// <summary>
/// A real HTTP webhook receiver, written as a subscriber would write one: it verifies the
/// HMAC-SHA256 signature over "&lt;t&gt;.&lt;body&gt;" with the shared secret, refuses a timestamp older
/// than five minutes (a replay of a captured request), and refuses a delivery id it has already
/// accepted. Paths can be told to answer 500, to play a receiver that is failing.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Secret = "test-webhook-secret-shared-with-the-receiver";
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private readonly HttpListener listener = new();
    private readonly ConcurrentQueue<WebhookRequest> requests = new();
    private readonly ConcurrentDictionary<string, byte> acceptedIds = new();
    private readonly ConcurrentDictionary<string, byte> failing = new();
    private readonly ConcurrentDictionary<string, TimeSpan> slow = new();
    private readonly Task serving;

    private WebhookReceiver(int port)
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add(BaseAddress.ToString());
        listener.Start();
        serving = ServeAsync();
    }

    public Uri BaseAddress { get; }

    /// <summary>Shifts the receiver's clock, to check a request as if it arrived later.</summary>
    public TimeSpan ClockOffset { get; set; }

    public IReadOnlyCollection<WebhookRequest> Requests => requests;

    public static WebhookReceiver Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new WebhookReceiver(port);
    }

    public string UrlFor(string name) => new Uri(BaseAddress, $"hooks/{name}").ToString();

    public void FailWith500(string name) => failing[$"/hooks/{name}"] = 0;

    public void Heal(string name) => failing.TryRemove($"/hooks/{name}", out _);

    /// <summary>The receiver answers <paramref name="name"/>'s requests only after <paramref name="delay"/>: a slow receiver.</summary>
    public void AnswerAfter(string name, TimeSpan delay) => slow[$"/hooks/{name}"] = delay;

    /// <summary>What the receiver decides about a request: Accepted, or why not.</summary>
    public string Verify(string? signatureHeader, string? deliveryHeader, string body, DateTimeOffset now)
    {
        if (signatureHeader is null || deliveryHeader is null)
            return "missing-headers";
        var fields = signatureHeader.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!fields.TryGetValue("t", out var t) || !fields.TryGetValue("v1", out var v1) || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
            return "malformed-signature";
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        byte[] given;
        try
        {
            given = Convert.FromHexString(v1);
        }
        catch (FormatException)
        {
            return "malformed-signature";
        }
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
            return "bad-signature";
        if ((now - DateTimeOffset.FromUnixTimeSeconds(unix)).Duration() > Tolerance)
            return "stale";
        // The signed body names the delivery too, so a relabelled header cannot dodge the replay check.
        if (JsonDocument.Parse(body).RootElement.GetProperty("deliveryId").GetString() != deliveryHeader)
            return "delivery-mismatch";
        return acceptedIds.ContainsKey(deliveryHeader) ? "replay" : "accepted";
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        try
        {
            await serving;
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var path = context.Request.Url!.AbsolutePath;
        var signature = context.Request.Headers["X-Accountability-Signature"];
        var delivery = context.Request.Headers["X-Accountability-Delivery"];
        string verdict;
        int status;
        lock (acceptedIds)
        {
            if (failing.ContainsKey(path))
                (verdict, status) = ("failing", 500);
            else
            {
                verdict = Verify(signature, delivery, body, DateTimeOffset.UtcNow + ClockOffset);
                status = verdict switch { "accepted" => 200, "replay" => 409, _ => 401 };
                if (verdict == "accepted")
                    acceptedIds[delivery!] = 0;
            }
        }
        if (slow.TryGetValue(path, out var delay))
            await Task.Delay(delay);
        requests.Enqueue(new WebhookRequest(path, signature, delivery, body, verdict, status));
        context.Response.StatusCode = status;
        context.Response.Close();
    }
}

public sealed record WebhookRequest(string Path, string? Signature, string? DeliveryId, string Body, string Verdict, int Status)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}
