using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using MassTransit;
using Npgsql;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>
/// A real Audit process on a schema of its own (so tampering with it cannot disturb any other
/// test's chain), with a transient queue, and a bus that sends straight to that queue: the test
/// events reach the trail and no other service, which might act on them.
/// </summary>
public sealed class AuditTrailHost : IAsyncDisposable
{
    public static readonly string Auditor = TestTokens.For("p-1004", Roles.Auditor);
    public static readonly string Admin = TestTokens.For("p-1005", Roles.Admin);
    public static readonly string Investigator = TestTokens.For("p-1014", Roles.Investigator);

    private IBusControl bus = null!;
    private IsolatedVirtualHost? virtualHost;

    private AuditTrailHost(string schema) => Schema = schema;

    public string Schema { get; }

    public ServiceProcess Process { get; private set; } = null!;

    public static async Task<AuditTrailHost> StartAsync(bool consume = true, int checkpointEveryEvents = 3, IDictionary<string, string>? extra = null)
    {
        var host = new AuditTrailHost(TestDatabase.NewSchema("audit_t"));
        var settings = new Dictionary<string, string>
        {
            ["Audit__Schema"] = host.Schema,
            ["Audit__Consume"] = consume ? "true" : "false",
            ["Audit__TransientQueue"] = "true",
            ["Audit__CheckpointEveryEvents"] = checkpointEveryEvents.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Audit__CheckpointInterval"] = "00:00:02",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            settings[key] = value;
        if (!settings.ContainsKey("RabbitMq__Uri"))
        {
            // Its own virtual host: every audit records what it hears, so a host sharing the broker would also record
            // the events another test's audit announces (its ProjectionRebuilt, say), and counts would not be its own.
            host.virtualHost = await IsolatedVirtualHost.CreateAsync("audit-tests");
            settings["RabbitMq__Uri"] = host.virtualHost.AmqpUri;
        }
        host.Process = await ServiceProcess.StartAsync("Audit", settings);
        var (brokerHost, port, virtualHost, user, password) = new RabbitMqOptions { Uri = settings.GetValueOrDefault("RabbitMq__Uri") ?? TestEnvironment.RabbitMqUri }.Parse();
        host.bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(brokerHost, port, virtualHost, h =>
        {
            h.Username(user);
            h.Password(password);
        }));
        await host.bus.StartAsync();
        return host;
    }

    public string QueueName => BrokerNames.Queue(Schema, "trail");

    /// <summary>Sends one event to the trail's queue with a chosen message id and producer traceparent.</summary>
    public async Task SendAsync(object message, Guid? messageId = null, string? traceParent = null)
    {
        // The service's temporary queue is exclusive to its connection; its exchange (declared alike) is not.
        var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{QueueName}?durable=false&autodelete=true"));
        await endpoint.Send(message, message.GetType(), Pipe.Execute<SendContext>(context =>
        {
            context.MessageId = messageId ?? Guid.NewGuid();
            if (traceParent is not null)
                context.Headers.Set("traceparent", traceParent);
        }));
    }

    /// <summary>
    /// How many messages wait in the trail's error queue, as the management API counts them (the host's queues are exclusive
    /// to the service's connection, so no other connection may declare them, even passively).
    /// </summary>
    public async Task<long> ErrorQueueDepthAsync()
    {
        var vhost = virtualHost ?? throw new InvalidOperationException("The host was given a broker; it has no virtual host of its own.");
        using var management = IsolatedVirtualHost.ManagementClient(TestEnvironment.RabbitMqUri, TestEnvironment.RabbitMqManagementUri);
        using var response = await management.GetAsync($"api/queues/{Uri.EscapeDataString(vhost.Name)}/{Uri.EscapeDataString(QueueName + "_error")}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return 0;
        var queue = JsonDocument.Parse(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync()).RootElement;
        return queue.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Number ? messages.GetInt64() : 0;
    }

    public async Task<NpgsqlConnection> OpenOwnerAsync() => await TestDatabase.OpenAsync(Schema);

    public async Task<long> CountAsync(string where = "true", object? parameters = null)
    {
        await using var connection = await OpenOwnerAsync();
        return await connection.ExecuteScalarAsync<long>($"select count(*) from audit_events where {where}", parameters);
    }

    public Task WaitForCaseRecordsAsync(Guid caseId, int count) =>
        Eventually.HoldsAsync(async () => await CountAsync("case_id = @caseId", new { caseId }) >= count,
            $"{count} records of case {caseId} in {Schema}");

    public async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Process.Client.SendAsync(request);
    }

    public async Task<HttpResponseMessage> PostAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Process.Client.SendAsync(request);
    }

    public async Task<JsonElement> GetJsonAsync(string path, string? token = null)
    {
        using var response = await GetAsync(path, token ?? Auditor);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Runs the real accountability-audit tool against this schema.</summary>
    public Task<CliRun> RunCliAsync(params string[] args) => Cli.RunAsync([.. args, "--schema", Schema]);

    public async ValueTask DisposeAsync()
    {
        await bus.StopAsync();
        await Process.DisposeAsync();
        if (virtualHost is not null)
            await virtualHost.DisposeAsync();
    }
}

public sealed record CliRun(int ExitCode, string Output, string Error);

public static class Cli
{
    public static readonly string StateHome = Directory.CreateTempSubdirectory("accountability-audit-cli-").FullName;

    public static async Task<CliRun> RunAsync(IEnumerable<string> args, string? connectionString = null)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = RepositoryPaths.File("tools", "Accountability.AuditCli", "bin", configuration, "net10.0", "accountability-audit.dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ConnectionStrings__Accountability"] = connectionString ?? TestEnvironment.PostgresConnectionString,
                // The heads the tool remembers stay with this test run, not in the machine's home.
                ["XDG_STATE_HOME"] = StateHome,
            },
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return new CliRun(process.ExitCode, await output, await error);
    }
}

/// <summary>One trail shared by the tests that do not tamper with it; each uses cases of its own.</summary>
public sealed class SharedAuditTrail : IAsyncLifetime
{
    public AuditTrailHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await AuditTrailHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(nameof(SharedAuditTrail))]
public sealed class SharedAuditTrailCollection : ICollectionFixture<SharedAuditTrail>;
