using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using MassTransit;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>The assignment service as a real process, plus a bus to publish what intake would.</summary>
public sealed class AssignmentService : IAsyncLifetime
{
    public ServiceProcess Process { get; private set; } = null!;

    private IBusControl bus = null!;

    public async Task InitializeAsync()
    {
        Process = await ServiceProcess.StartAsync("Assignment");
        var (host, port, virtualHost, user, password) = new RabbitMqOptions { Uri = TestEnvironment.RabbitMqUri }.Parse();
        bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(host, port, virtualHost, h =>
            {
                h.Username(user);
                h.Password(password);
            });
            // Stands for the services downstream: assignment publishes its envelopes only where a queue takes them.
            cfg.ReceiveEndpoint("assignment-test-case-events", endpoint =>
            {
                endpoint.Durable = false;
                endpoint.AutoDelete = true;
                endpoint.ReceiveCaseEventsOf([.. CaseEventsEnvelope.AllKinds]);
                endpoint.Handler<CaseEventsCommitted>(context =>
                {
                    Published.Enqueue(context.Message);
                    return Task.CompletedTask;
                });
            });
        });
        await bus.StartAsync();
    }

    /// <summary>Every envelope assignment published, as a consumer downstream receives it.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<CaseEventsCommitted> Published { get; } = new();

    public async Task DisposeAsync()
    {
        await bus.StopAsync();
        await Process.DisposeAsync();
    }

    /// <summary>Internal affairs' active investigators (sergeants included), who take force complaints by the routing rules.</summary>
    public static readonly string[] ActiveInternalAffairsInvestigators =
        ["p-1012", "p-1013", "p-1014", "p-1015", "p-1016", "p-1018", "p-1019", "p-1020", "p-1021"];

    /// <summary>Publishes a ComplaintReceived as intake would, with its own message id.</summary>
    public async Task<ComplaintReceived> FileAsync(string category, string? district, params string[] subjectBadges)
    {
        var complaint = Complaint(category, district, subjectBadges);
        await PublishAsync(complaint);
        return complaint;
    }

    /// <summary>A ComplaintReceived as intake would publish it, with a case number of its own unless one is given.</summary>
    public static ComplaintReceived Complaint(string category, string? district, string[] subjectBadges, string? caseNumber = null) => new()
    {
        CaseId = Guid.NewGuid(),
        CaseVersion = 1,
        TrackingCode = $"RPD-TEST-{Guid.NewGuid():N}"[..20],
        CaseNumber = caseNumber ?? $"IA-T-{Guid.NewGuid():N}"[..20].ToUpperInvariant(),
        Category = category,
        Channel = "phone",
        District = district,
        SubjectOfficerBadges = subjectBadges,
        Allegations = [.. subjectBadges.Select(b => new ReceivedAllegation { AllegationId = Guid.NewGuid(), Type = category, OfficerBadge = b })],
        Anonymous = true,
        IntakeDeskUnitId = "u-intake-desk",
        ReceivedAt = DateTimeOffset.UtcNow,
        Actor = "p-1007",
        Reason = "",
    };

    public Task PublishAsync<T>(T message) where T : class => bus.Publish(message);

    /// <summary>The access records (CaseDataAccessed) this service queued for a case, on their way to the audit trail.</summary>
    public static async Task<List<JsonElement>> AccessRecordsAsync(Guid caseId)
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var bodies = await connection.QueryAsync<string>(
            "select body::text from outbox where message_type like 'Accountability.Contracts.Audit.CaseDataAccessed,%' and body->>'caseId' = @caseId",
            new { caseId = caseId.ToString() });
        return bodies.Select(b => JsonDocument.Parse(b).RootElement.Clone()).ToList();
    }

    public async Task<JsonElement> WaitForOwnerAsync(Guid caseId, Func<JsonElement, bool> accept, string description) =>
        await Eventually.ReturnsAsync(async () =>
        {
            // An auditor sees every case in full (need-to-know), so the fixture reads allegations too.
            using var response = await SendAsync(HttpMethod.Get, $"/api/cases/{caseId}", TestTokens.For("p-1004", Roles.Auditor));
            return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
        }, c => c.ValueKind == JsonValueKind.Object && accept(c), description);

    public Task<JsonElement> WaitForRoutingAsync(Guid caseId) =>
        WaitForOwnerAsync(caseId, c => c.GetProperty("owner").GetProperty("id").GetString() != "u-intake-desk", $"case {caseId} is routed");

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        return await Process.Client.SendAsync(request);
    }

    /// <summary>A force complaint against badge 1569 (patrol 2), routed: its id and the person who owns it.</summary>
    public async Task<(Guid CaseId, string Owner)> RoutedCaseAsync()
    {
        var complaint = await FileAsync("force", "2", "1569");
        var routed = await WaitForRoutingAsync(complaint.CaseId);
        return (complaint.CaseId, routed.GetProperty("owner").GetProperty("id").GetString()!);
    }

    /// <summary>
    /// A routed case owned by one of internal affairs' plain investigators (p-1014 to p-1021), whose sergeant is not IA command.
    /// Routing picks the least loaded eligible person, and the sergeants p-1012 and p-1013 investigate too: after enough
    /// earlier tests one of them gets the case, so IA command reassigns it, as a commander would.
    /// </summary>
    public async Task<(Guid CaseId, string Owner)> CaseOwnedByAnInvestigatorAsync(IReadOnlyList<string> investigators)
    {
        var (caseId, owner) = await RoutedCaseAsync();
        if (investigators.Contains(owner))
            return (caseId, owner);
        var investigator = investigators[Random.Shared.Next(investigators.Count)];
        using var reassign = await SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reassign", TestTokens.For("p-1011", Roles.Commander),
            new { toPersonId = investigator, reason = "Sergeants supervise; an investigator takes it" });
        Assert.True(reassign.IsSuccessStatusCode, await reassign.Content.ReadAsStringAsync());
        await WaitForOwnerAsync(caseId, c => c.GetProperty("owner").GetProperty("id").GetString() == investigator, $"case {caseId} is reassigned");
        return (caseId, investigator);
    }

    /// <summary>A person's supervisor in deploy/org/directory.json.</summary>
    public static string SupervisorOf(string personId)
    {
        var directory = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.File("deploy", "org", "directory.json"))).RootElement;
        return directory.GetProperty("people").EnumerateArray()
            .Single(p => p.GetProperty("id").GetString() == personId).GetProperty("supervisorId").GetString()!;
    }

    /// <summary>GET /api/cases/{id} as the token's person, which must answer 200.</summary>
    public async Task<JsonElement> ReadCaseAsync(Guid caseId, string token)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/cases/{caseId}", token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}

[CollectionDefinition(nameof(AssignmentService))]
public sealed class AssignmentServiceCollection : ICollectionFixture<AssignmentService>;
