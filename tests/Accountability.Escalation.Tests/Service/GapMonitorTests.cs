using System.Net.Http.Headers;
using System.Text.Json;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using MassTransit;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>The gap monitor reads assignment's API on its own schedule: a case corrupted behind the event flow's back is still caught.</summary>
public sealed class GapMonitorTests : IAsyncLifetime
{
    private readonly string schema = $"esc_gap_{Guid.NewGuid():N}"[..20];
    private ServiceProcess assignment = null!;
    private ServiceProcess escalation = null!;
    private IBusControl bus = null!;
    private IsolatedVirtualHost vhost = null!;

    public async Task InitializeAsync()
    {
        // Its own virtual host: the escalations this test provokes stay between these two processes.
        vhost = await IsolatedVirtualHost.CreateAsync("escalation-gap");
        assignment = await ServiceProcess.StartAsync("Assignment", new Dictionary<string, string> { ["RabbitMq__Uri"] = vhost.AmqpUri });
        escalation = await ServiceProcess.StartAsync("Escalation", new Dictionary<string, string>
        {
            ["RabbitMq__Uri"] = vhost.AmqpUri,
            ["Escalation__Schema"] = schema,
            ["Escalation__AssignmentUrl"] = assignment.BaseAddress.ToString(),
            ["Escalation__GapMonitorInterval"] = "00:00:01",
        });
        var (host, port, virtualHost, user, password) = new RabbitMqOptions { Uri = vhost.AmqpUri }.Parse();
        bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(host, port, virtualHost, h =>
        {
            h.Username(user);
            h.Password(password);
        }));
        await bus.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await bus.StopAsync();
        await escalation.DisposeAsync();
        await assignment.DisposeAsync();
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync($"drop schema if exists \"{schema}\" cascade");
        await vhost.DisposeAsync();
    }

    [Fact]
    public async Task A_case_whose_owner_is_made_inactive_behind_the_events_back_is_reported_and_escalated_by_the_next_sweep()
    {
        var caseId = Guid.NewGuid();
        await bus.Publish(new ComplaintReceived
        {
            CaseId = caseId, CaseVersion = 1, TrackingCode = "RPD-GAP-TEST", Category = "force", Channel = "phone", District = "2",
            SubjectOfficerBadges = [], Allegations = [], Anonymous = true, IntakeDeskUnitId = "u-intake-desk",
            ReceivedAt = DateTimeOffset.UtcNow, Actor = "p-1007", Reason = "",
        });
        var routedOwner = (await AssignmentCaseAsync(caseId, c => c.GetProperty("owner").GetProperty("id").GetString() != "u-intake-desk"))
            .GetProperty("owner").GetProperty("id").GetString()!;
        // p-1017 and p-1034 are inactive in the sample department; escalation goes to their first active supervisor.
        var (inactive, expectedTarget) = routedOwner == "p-1012" ? ("p-1034", "p-1033") : ("p-1017", "p-1012");

        await using (var connection = await TestDatabase.OpenAsync("assignment"))
            await connection.ExecuteAsync("update cases set owner_kind = 'person', owner_id = @inactive where case_id = @caseId", new { inactive, caseId });

        var escalated = await Eventually.ReturnsAsync(() => EscalationsAsync(caseId), list => list.GetArrayLength() > 0,
            "the monitor escalates the case", TimeSpan.FromSeconds(60));
        var only = escalated[0];
        Assert.Equal(("gap-monitor", "custody-requested", expectedTarget, inactive),
            (only.GetProperty("source").GetString(), only.GetProperty("outcome").GetString(), only.GetProperty("toPersonId").GetString(), only.GetProperty("ownerId").GetString()));

        var report = await Eventually.ReturnsAsync(ReportAsync,
            r => r.ValueKind == JsonValueKind.Object && r.GetProperty("findings").EnumerateArray().Any(f => f.GetProperty("caseId").GetGuid() == caseId),
            "the sweep reports the case", TimeSpan.FromSeconds(60));
        Assert.True(report.GetProperty("unowned").GetInt32() >= 1);
        Assert.Contains(report.GetProperty("findings").EnumerateArray(),
            f => f.GetProperty("caseId").GetGuid() == caseId && f.GetProperty("problem").GetString() == "owner-inactive");

        // Assignment performed the EscalateCase: the supervisor owns the case now.
        await AssignmentCaseAsync(caseId, c => c.GetProperty("owner").GetProperty("id").GetString() == expectedTarget);

        // Later sweeps see an active owner and escalate nothing more.
        var sweeps = report.GetProperty("sweeps").GetInt64();
        await Eventually.ReturnsAsync(ReportAsync, r => r.ValueKind == JsonValueKind.Object && r.GetProperty("sweeps").GetInt64() >= sweeps + 2,
            "two more sweeps", TimeSpan.FromSeconds(90));
        Assert.Equal(1, (await EscalationsAsync(caseId)).GetArrayLength());
    }

    private async Task<JsonElement> AssignmentCaseAsync(Guid caseId, Func<JsonElement, bool> accept) =>
        await Eventually.ReturnsAsync(async () =>
        {
            using var response = await SendAsync(assignment, $"/api/cases/{caseId}", TestTokens.For("p-1006", Roles.Dispatcher));
            return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
        }, c => c.ValueKind == JsonValueKind.Object && accept(c), $"assignment's view of case {caseId}", TimeSpan.FromSeconds(60));

    private async Task<JsonElement> EscalationsAsync(Guid caseId)
    {
        using var response = await SendAsync(escalation, $"/api/escalations?caseId={caseId}", TestTokens.For("p-1011", Roles.Commander));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<JsonElement> ReportAsync()
    {
        using var response = await SendAsync(escalation, "/api/gap-monitor", TestTokens.For("p-1005", Roles.Admin));
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
    }

    private static async Task<HttpResponseMessage> SendAsync(ServiceProcess service, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await service.Client.SendAsync(request);
    }
}
