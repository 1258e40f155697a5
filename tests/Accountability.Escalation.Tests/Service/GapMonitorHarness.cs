using System.Net.Http.Headers;
using System.Text.Json;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using MassTransit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// A real assignment process and an escalation process whose gap monitor sweeps it every second, on a
/// virtual host of their own, so the escalations a test provokes stay between these two processes.
/// </summary>
public sealed class GapMonitorHarness : IAsyncDisposable
{
    private readonly string schema = $"esc_gap_{Guid.NewGuid():N}"[..20];
    private ServiceProcess assignment = null!;
    private ServiceProcess escalation = null!;
    private IBusControl bus = null!;
    private IsolatedVirtualHost vhost = null!;

    public string Schema => schema;

    /// <param name="pageSize">How many open cases the monitor asks assignment for at a time.</param>
    public static async Task<GapMonitorHarness> StartAsync(bool escalates = true, int pageSize = 500)
    {
        var harness = new GapMonitorHarness();
        harness.vhost = await IsolatedVirtualHost.CreateAsync("escalation-gap");
        harness.assignment = await ServiceProcess.StartAsync("Assignment", new Dictionary<string, string> { ["RabbitMq__Uri"] = harness.vhost.AmqpUri });
        harness.escalation = await ServiceProcess.StartAsync("Escalation", new Dictionary<string, string>
        {
            ["RabbitMq__Uri"] = harness.vhost.AmqpUri,
            ["Escalation__Schema"] = harness.schema,
            ["Escalation__AssignmentUrl"] = harness.assignment.BaseAddress.ToString(),
            ["Escalation__GapMonitorInterval"] = "00:00:01",
            ["Escalation__GapMonitorEscalates"] = escalates ? "true" : "false",
            ["Escalation__GapMonitorPageSize"] = pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var (host, port, virtualHost, user, password) = new RabbitMqOptions { Uri = harness.vhost.AmqpUri }.Parse();
        harness.bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(host, port, virtualHost, h =>
        {
            h.Username(user);
            h.Password(password);
        }));
        await harness.bus.StartAsync();
        return harness;
    }

    public async ValueTask DisposeAsync()
    {
        await bus.StopAsync();
        await escalation.DisposeAsync();
        await assignment.DisposeAsync();
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync($"drop schema if exists \"{schema}\" cascade");
        await vhost.DisposeAsync();
    }

    /// <summary>Files a force complaint as intake would and waits until assignment routes it; returns the case and its owner.</summary>
    public async Task<(Guid CaseId, string Owner)> FileRoutedCaseAsync()
    {
        var caseId = Guid.NewGuid();
        await bus.Publish(new ComplaintReceived
        {
            CaseId = caseId, CaseVersion = 1, TrackingCode = "RPD-GAP-TEST", Category = "force", Channel = "phone", District = "2",
            SubjectOfficerBadges = [], Allegations = [], Anonymous = true, IntakeDeskUnitId = "u-intake-desk",
            ReceivedAt = DateTimeOffset.UtcNow, Actor = "p-1007", Reason = "",
        });
        var routed = await AssignmentCaseAsync(caseId, c => c.GetProperty("owner").GetProperty("id").GetString() != "u-intake-desk");
        return (caseId, routed.GetProperty("owner").GetProperty("id").GetString()!);
    }

    /// <summary>Changes the owner in assignment's table behind the event flow's back, as a bug or a bad migration would.</summary>
    public static async Task SetOwnerBehindTheEventsBackAsync(Guid caseId, string personId)
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        await connection.ExecuteAsync("update cases set owner_kind = 'person', owner_id = @personId where case_id = @caseId", new { personId, caseId });
    }

    public async Task<JsonElement> AssignmentCaseAsync(Guid caseId, Func<JsonElement, bool> accept) =>
        await Eventually.ReturnsAsync(async () =>
        {
            using var response = await SendAsync(assignment, $"/api/cases/{caseId}", TestTokens.For("p-1009", Roles.Dispatcher));
            return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
        }, c => c.ValueKind == JsonValueKind.Object && accept(c), $"assignment's view of case {caseId}", TimeSpan.FromSeconds(60));

    public async Task<JsonElement> EscalationsAsync(Guid caseId)
    {
        using var response = await SendAsync(escalation, $"/api/escalations?caseId={caseId}", TestTokens.For("p-1011", Roles.Commander));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>GET /api/gap-monitor with the given token; default when there is no sweep yet.</summary>
    public async Task<JsonElement> ReportAsync(string token)
    {
        using var response = await ReportResponseAsync(token);
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
    }

    public Task<HttpResponseMessage> ReportResponseAsync(string token) => SendAsync(escalation, "/api/gap-monitor", token);

    /// <summary>Counts rows in this escalation instance's schema.</summary>
    public async Task<long> CountAsync(string sql, object parameters)
    {
        await using var connection = await TestDatabase.OpenAsync(schema);
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    private static async Task<HttpResponseMessage> SendAsync(ServiceProcess service, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await service.Client.SendAsync(request);
    }
}
