using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using MassTransit;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// A real assignment process, which escalation asks who may see a case (need-to-know), in a database and on a
/// virtual host of its own: it hears only the receipts a test hands it, so its routing and custody events never
/// reach the escalation instance the test scripts event by event.
/// </summary>
public sealed class AssignmentNeighbour : IAsyncDisposable
{
    private readonly string database = IsolatedDatabase.NewName("esc_ntk");
    private IsolatedVirtualHost vhost = null!;
    private IBusControl bus = null!;

    public ServiceProcess Process { get; private set; } = null!;

    public static async Task<AssignmentNeighbour> StartAsync()
    {
        var neighbour = new AssignmentNeighbour();
        var connectionString = await IsolatedDatabase.CreateAsync(TestEnvironment.PostgresConnectionString, neighbour.database);
        neighbour.vhost = await IsolatedVirtualHost.CreateAsync("escalation-ntk");
        neighbour.Process = await ServiceProcess.StartAsync("Assignment", new Dictionary<string, string>
        {
            ["ConnectionStrings__Accountability"] = connectionString,
            ["RabbitMq__Uri"] = neighbour.vhost.AmqpUri,
        });
        var (host, port, virtualHost, user, password) = new RabbitMqOptions { Uri = neighbour.vhost.AmqpUri }.Parse();
        neighbour.bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(host, port, virtualHost, h =>
        {
            h.Username(user);
            h.Password(password);
        }));
        await neighbour.bus.StartAsync();
        return neighbour;
    }

    /// <summary>Escalation's setting that points it at this assignment.</summary>
    public string Url => Process.BaseAddress.ToString().TrimEnd('/');

    /// <summary>
    /// Hands assignment the receipt escalation got, waits until it has routed the case, and when <paramref name="ownerId"/>
    /// is a person makes them its owner (internal-affairs command reassigns it), so both services agree who owns it (not when).
    /// </summary>
    public async Task ReceiveAsync(ComplaintReceived received, string? ownerId)
    {
        // Received now by assignment's own (real) clock: escalation's manual clock may be years ahead, and assignment's
        // ledger refuses a reassignment dated before the case's last custody change.
        received = received with { ReceivedAt = DateTimeOffset.UtcNow };
        await bus.Publish(received);
        var routed = await Eventually.ReturnsAsync(async () =>
        {
            using var response = await SendAsync(HttpMethod.Get, $"/api/cases/{received.CaseId}", TestTokens.For("p-1009", Roles.Dispatcher));
            return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
        }, c => c.ValueKind == JsonValueKind.Object && c.GetProperty("owner").GetProperty("id").GetString() != received.IntakeDeskUnitId,
            $"assignment routes case {received.CaseId}", TimeSpan.FromSeconds(60));
        if (ownerId is null || !ownerId.StartsWith("p-", StringComparison.Ordinal) || routed.GetProperty("owner").GetProperty("id").GetString() == ownerId)
            return;
        using var reassigned = await SendAsync(HttpMethod.Post, $"/api/cases/{received.CaseId}/reassign", TestTokens.For("p-1011", Roles.Commander),
            new { toPersonId = ownerId, reason = "The owner the test scripts in escalation" });
        Assert.True(reassigned.IsSuccessStatusCode, $"reassign to {ownerId}: {(int)reassigned.StatusCode} {await reassigned.Content.ReadAsStringAsync()}");
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        return await Process.Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        await bus.StopAsync();
        await Process.DisposeAsync();
        await vhost.DisposeAsync();
        await IsolatedDatabase.DropAsync(TestEnvironment.PostgresConnectionString, database);
    }
}
