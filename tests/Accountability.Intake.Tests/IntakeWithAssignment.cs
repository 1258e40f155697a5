using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Accountability.TestSupport;
using Npgsql;
using Xunit;

namespace Accountability.Intake.Tests;

/// <summary>
/// Intake with the assignment service it asks who may read a complaint (need-to-know), in a database and a
/// virtual host of their own: assignment routes what intake files, which would disturb the other intake tests.
/// </summary>
public sealed class IntakeWithAssignment : IAsyncLifetime
{
    private readonly string database = IsolatedDatabase.NewName("intake_ntk");
    private IsolatedVirtualHost? virtualHost;

    public ServiceProcess Intake { get; private set; } = null!;
    public ServiceProcess Assignment { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ConnectionString = await IsolatedDatabase.CreateAsync(TestEnvironment.PostgresConnectionString, database);
        virtualHost = await IsolatedVirtualHost.CreateAsync("intake-ntk");
        var isolation = new Dictionary<string, string>
        {
            ["ConnectionStrings__Accountability"] = ConnectionString,
            ["RabbitMq__Uri"] = virtualHost.AmqpUri,
        };
        Assignment = await ServiceProcess.StartAsync("Assignment", isolation);
        var settings = IntakeService.Settings();
        foreach (var (key, value) in isolation)
            settings[key] = value;
        settings["Intake__AssignmentUrl"] = Assignment.BaseAddress.ToString().TrimEnd('/');
        Intake = await ServiceProcess.StartAsync("Intake", settings);
    }

    public async Task DisposeAsync()
    {
        await Intake.DisposeAsync();
        await Assignment.DisposeAsync();
        if (virtualHost is not null)
            await virtualHost.DisposeAsync();
        await IsolatedDatabase.DropAsync(TestEnvironment.PostgresConnectionString, database);
    }

    public async Task<JsonElement> FiledAsClerkAsync(object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/complaints") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(IntakeService.ClerkId, "intake-clerk"));
        using var response = await Intake.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<NpgsqlConnection> OpenIntakeSchemaAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = "intake,public" }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}

[CollectionDefinition(nameof(IntakeWithAssignment))]
public sealed class IntakeWithAssignmentCollection : ICollectionFixture<IntakeWithAssignment>;
