using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Accountability.Messaging.Bus;
using Accountability.TestSupport;
using Dapper;
using MassTransit;
using Xunit;

namespace Accountability.Intake.Tests;

/// <summary>
/// One Intake process against the real PostgreSQL and RabbitMQ, a bus to publish custody events
/// into it, and a listener on the ComplaintReceived exchange. Started once for the collection.
/// </summary>
public sealed class IntakeService : IAsyncLifetime
{
    public const string Open311ApiKey = "test-open311-key-3f9a";
    public const string ClerkId = "p-1007";

    /// <summary>A fresh key per run: nothing sealed by an earlier run can be opened with it, which is fine for tests.</summary>
    public static readonly string ContactKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public ServiceProcess Process { get; private set; } = null!;

    public ComplaintReceivedListener Received { get; private set; } = null!;

    public IBusControl Bus { get; private set; } = null!;

    public HttpClient Client => Process.Client;

    public static Dictionary<string, string> Settings(int publicPermits = 10_000) => new()
    {
        ["Privacy__ActiveKeyId"] = "test",
        ["Privacy__Keys__test"] = ContactKey,
        ["Open311__ApiKeys__0"] = Open311ApiKey,
        ["Intake__PublicFilingLimit__PermitLimit"] = publicPermits.ToString(),
        ["Intake__PublicFilingLimit__Window"] = "00:01:00",
        ["Intake__PublicStatusLimit__PermitLimit"] = "10000",
        ["Intake__PublicStatusLimit__Window"] = "00:01:00",
    };

    public async Task InitializeAsync()
    {
        Received = await ComplaintReceivedListener.StartAsync();
        Process = await ServiceProcess.StartAsync("Intake", Settings());
        var (host, port, virtualHost, user, password) = new RabbitMqOptions { Uri = TestEnvironment.RabbitMqUri }.Parse();
        Bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(host, port, virtualHost, h =>
            {
                h.Username(user);
                h.Password(password);
            });
            // Custody moves go where assignment's go: the topic exchange, keyed by kind.
            rabbit.PublishCustodyTransfersByKind();
            rabbit.PublishCaseEventsByKind();
        });
        await Bus.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Bus.StopAsync();
        await Process.DisposeAsync();
        await Received.DisposeAsync();
    }

    public async Task<HttpResponseMessage> FileAsClerkAsync(object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/complaints") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(ClerkId, "intake-clerk"));
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await Client.SendAsync(request);
    }

    public async Task<JsonElement> FiledAsClerkAsync(object body, string? idempotencyKey = null)
    {
        using var response = await FileAsClerkAsync(body, idempotencyKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<T> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await TestDatabase.OpenAsync("intake");
        return await connection.QuerySingleAsync<T>(sql, parameters);
    }

    /// <summary>A valid clerk filing; each call carries its own marker in the narrative so tests find their own rows.</summary>
    public static Dictionary<string, object?> ClerkComplaint(string marker, string email = "dana.whitfield@example.org") => new()
    {
        ["category"] = "force",
        ["narrative"] = $"Officer pushed me to the ground outside the library. {marker}",
        ["channel"] = "phone",
        ["district"] = "3",
        ["occurredAt"] = DateTimeOffset.UtcNow.AddDays(-2).ToString("yyyy-MM-dd'T'HH:mm:sszzz"),
        ["location"] = new { address = "12 River St", latitude = 41.5, longitude = -72.6 },
        ["subjectOfficers"] = new[] { "614" },
        ["allegations"] = new[] { new { type = "force", officerBadge = "614" }, new { type = "discourtesy", officerBadge = "c-2041" } },
        ["complainant"] = new { name = "Dana Whitfield", email, phone = "+1 (555) 555-0123" },
    };

    public static string NewMarker() => $"m{Guid.NewGuid():N}";
}

[CollectionDefinition(nameof(IntakeService))]
public sealed class IntakeServiceCollection : ICollectionFixture<IntakeService>;
