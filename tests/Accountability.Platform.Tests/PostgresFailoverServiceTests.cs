using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Accountability.Platform.Tests;

/// <summary>
/// Assignment and escalation as real processes, logged in as their own logins through a multi-host connection string
/// (Target Session Attributes=read-write) to a pg_auto_failover formation of containers (<see cref="PostgresFailoverCluster"/>),
/// and a RabbitMQ virtual host of their own. The test plays intake: it publishes ComplaintReceived as intake's relay would.
/// </summary>
public sealed class PostgresFailoverServiceTests(ITestOutputHelper output)
{
    private static string AdminToken => TestTokens.For("p-1005", Roles.Admin);

    [Fact]
    public async Task Assignment_routes_every_complaint_once_and_escalation_fires_each_due_timer_once_through_a_promotion_of_the_standby()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await PostgresFailoverCluster.StartAsync();
        var first = await cluster.PrimaryAsync() ?? throw new InvalidOperationException("no primary");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: formation up, {first.Name} primary ({cluster.Hosts}); " +
            $"synchronous_standby_names = '{await PostgresFailoverCluster.SynchronousStandbyNamesAsync(first)}'");
        await using var vhost = await IsolatedVirtualHost.CreateAsync("pg-failover");
        var owner = cluster.ConnectionString();
        var assignmentPort = FreePort();
        Dictionary<string, string> SettingsOf(string name) => new()
        {
            ["ConnectionStrings__AccountabilityOwner"] = owner,
            ["ConnectionStrings__Accountability"] = ServiceLogins.ConnectionStringFor(owner, name),
            ["RabbitMq__Uri"] = vhost.AmqpUri,
        };
        var escalationSettings = SettingsOf("Escalation");
        // A manual clock that stands at its start until the test moves it: the SLA timers come due when the test says.
        escalationSettings["Escalation__Clock"] = "manual";
        escalationSettings["Escalation__GapMonitorEnabled"] = "false";
        escalationSettings["Escalation__AssignmentUrl"] = $"http://127.0.0.1:{assignmentPort}";
        escalationSettings["Escalation__TimerPollInterval"] = "00:00:00.500";
        await using var escalation = await ServiceProcess.StartAsync("Escalation", escalationSettings);
        await using var assignment = await ServiceProcess.StartAsync("Assignment", SettingsOf("Assignment"), port: assignmentPort);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: assignment and escalation ready");
        try
        {
            await FailOverAsync(cluster, vhost, assignment, escalation, clock);
        }
        catch
        {
            // What the services said is the first thing to read when this fails.
            foreach (var service in new[] { assignment, escalation })
                output.WriteLine($"--- {service.Name} (last lines) ---\n{string.Join('\n', service.Output.Split('\n').TakeLast(150))}");
            throw;
        }
    }

    private async Task FailOverAsync(PostgresFailoverCluster cluster, IsolatedVirtualHost vhost, ServiceProcess assignment, ServiceProcess escalation, Stopwatch clock)
    {

        // Complaints every 300 ms, before, during and after the failover: the broker is up all along, so they queue while
        // the database is away, and the consumers retry them.
        var filed = new ConcurrentDictionary<Guid, TimeSpan>();
        using var stop = new CancellationTokenSource();
        var filer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var caseId = Guid.NewGuid();
                await vhost.PublishRawAsync("Accountability.Contracts.Intake:ComplaintReceived", ComplaintReceived(caseId));
                filed[caseId] = clock.Elapsed;
                await Task.Delay(300, CancellationToken.None);
            }
        });

        await Eventually.HoldsAsync(async () => await RoutedAsync(cluster) >= 20, "complaints are routed before the fault", TimeSpan.FromSeconds(90));
        var killed = await cluster.KillPrimaryAsync();
        var killedAt = clock.Elapsed;
        output.WriteLine($"{killedAt.TotalSeconds:0.0} s: killed {killed.Name}'s container after {filed.Count} complaints filed");
        // While the database is away, move escalation's clock 70 minutes on: every urgent case's acknowledge clock
        // (2 hours) passes its 50% warning, so each timer comes due during the outage and fires after the promotion.
        var now = await AdvanceAsync(escalation, TimeSpan.FromMinutes(70));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: escalation's clock moved to {now:O}");

        var promoted = await cluster.WaitForPromotionAsync(killed, TimeSpan.FromSeconds(180));
        var promotedAt = clock.Elapsed;
        output.WriteLine($"{promotedAt.TotalSeconds:0.0} s: {promoted.Name} promoted and accepting writes ({(promotedAt - killedAt).TotalSeconds:0.0} s after the kill)");

        // Complaints filed after the promotion are routed too.
        var filedAfter = await Eventually.ReturnsAsync(() => Task.FromResult(filed.Where(f => f.Value > promotedAt).Select(f => f.Key).ToArray()),
            ids => ids.Length >= 20, "complaints are filed after the promotion", TimeSpan.FromSeconds(60));
        await Eventually.HoldsAsync(async () => await RoutedAsync(cluster, filedAfter[..1]) == 1,
            "the first complaint filed after the promotion is routed", TimeSpan.FromSeconds(120));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: the first complaint filed after the promotion is routed " +
            $"({(clock.Elapsed - killedAt).TotalSeconds:0.0} s after the kill)");
        await stop.CancelAsync();
        await filer;
        var all = filed.Keys.ToArray();

        // Every complaint: one case, routed once (the desk's interval and the routed owner's, one open), in escalation
        // too; every due warning fired once; nothing left in either outbox.
        await Eventually.HoldsAsync(async () => await RoutedAsync(cluster, all) == all.Length, "every complaint filed is routed", TimeSpan.FromSeconds(180));
        await using var database = await OpenAsync(cluster);
        Assert.Equal(all.Length, await database.ExecuteScalarAsync<long>("select count(*) from assignment.cases where case_id = any(@all)", new { all }));
        Assert.Equal(0, await database.ExecuteScalarAsync<long>("select count(*) from assignment.cases where not (case_id = any(@all))", new { all }));
        var custody = (await database.QueryAsync<(Guid CaseId, long Intervals, long Open, long Routed)>(
            """
            select case_id, count(*), count(*) filter (where to_at is null), count(*) filter (where transfer_kind = 'routed')
            from assignment.custody where case_id = any(@all) group by case_id
            """, new { all })).ToList();
        Assert.Equal(all.Length, custody.Count);
        Assert.All(custody, c => Assert.Equal((2L, 1L, 1L), (c.Intervals, c.Open, c.Routed)));

        await Eventually.HoldsAsync(async () => await database.ExecuteScalarAsync<long>(
                "select count(*) from escalation.cases where case_id = any(@all) and owner_kind = 'person'", new { all }) == all.Length,
            "escalation knows every case and its routed owner", TimeSpan.FromSeconds(120));
        await Eventually.HoldsAsync(async () => await database.ExecuteScalarAsync<long>(
                "select count(*) from escalation.timers where state = 'pending' and fire_at <= @now", new { now }) == 0,
            "every timer due by escalation's clock has fired (or was superseded)", TimeSpan.FromSeconds(120));
        var warnings = (await database.QueryAsync<(Guid CaseId, string OwnerId, long Count, bool Late)>(
            """
            select (body->>'caseId')::uuid, body->>'ownerId', count(*), bool_or((body->>'late')::boolean)
            from escalation.outbox
            where message_type like 'Accountability.Contracts.Escalation.SlaWarning,%' and body->>'clock' = 'acknowledge' and body->>'percent' = '50'
            group by 1, 2
            """)).ToList();
        var routedOwners = (await database.QueryAsync<(Guid CaseId, string OwnerId)>(
            "select case_id, owner_id from assignment.custody where case_id = any(@all) and to_at is null", new { all })).ToList();
        Assert.All(routedOwners, o => Assert.Contains(warnings, w => w.CaseId == o.CaseId && w.OwnerId == o.OwnerId));
        Assert.All(warnings, w => Assert.Equal(1, w.Count));
        await Eventually.HoldsAsync(async () => await database.ExecuteScalarAsync<long>(
                "select (select count(*) from assignment.outbox where published_at is null) + (select count(*) from escalation.outbox where published_at is null)") == 0,
            "both relays have published every outbox row", TimeSpan.FromSeconds(60));
        Assert.Equal(0, await database.ExecuteScalarAsync<long>(
            "select (select count(*) from assignment.outbox where failed_at is not null) + (select count(*) from escalation.outbox where failed_at is not null)"));
        // Nothing was given up on: no message waits in an error queue.
        foreach (var queue in await ErrorQueuesAsync(vhost))
            Assert.True(await vhost.QueueDepthAsync(queue) == 0, $"{queue} holds messages");
        Assert.False(assignment.HasExited, assignment.Output);
        Assert.False(escalation.HasExited, escalation.Output);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {all.Length} complaints filed, each one case routed once; " +
            $"{warnings.Count} acknowledge warnings at 50%, each once ({warnings.Count(w => w.Late)} marked late); both outboxes empty");
    }

    private static byte[] ComplaintReceived(Guid caseId) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["messageId"] = Guid.NewGuid(),
        ["messageType"] = new[] { "urn:message:Accountability.Contracts.Intake:ComplaintReceived" },
        ["message"] = new
        {
            caseId,
            caseVersion = 1,
            trackingCode = $"RPD-PGF-{Guid.NewGuid():N}"[..20],
            caseNumber = $"IA-F-{Guid.NewGuid():N}"[..20].ToUpperInvariant(),
            category = "force",
            channel = "phone",
            district = "2",
            subjectOfficerBadges = Array.Empty<string>(),
            allegations = Array.Empty<object>(),
            anonymous = true,
            intakeDeskUnitId = "u-intake-desk",
            receivedAt = DateTimeOffset.UtcNow,
            actor = "p-1007",
            reason = "",
        },
    });

    private static async Task<IReadOnlyList<string>> ErrorQueuesAsync(IsolatedVirtualHost vhost)
    {
        using var management = IsolatedVirtualHost.ManagementClient(TestEnvironment.RabbitMqUri, TestEnvironment.RabbitMqManagementUri);
        var queues = await management.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(vhost.Name)}?columns=name");
        return [.. queues.EnumerateArray().Select(q => q.GetProperty("name").GetString()!).Where(n => n.EndsWith("_error", StringComparison.Ordinal))];
    }

    private static async Task<DateTimeOffset> AdvanceAsync(ServiceProcess escalation, TimeSpan by)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/test-clock/advance")
        {
            Content = JsonContent.Create(new { by = System.Xml.XmlConvert.ToString(by) }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var response = await escalation.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("now").GetDateTimeOffset();
    }

    /// <summary>Cases routed (custody moved from the desk), of <paramref name="among"/> or of all, read on the current primary.</summary>
    private static async Task<long> RoutedAsync(PostgresFailoverCluster cluster, Guid[]? among = null)
    {
        try
        {
            await using var connection = await OpenAsync(cluster);
            return among is null
                ? await connection.ExecuteScalarAsync<long>("select count(distinct case_id) from assignment.custody where transfer_kind = 'routed'")
                : await connection.ExecuteScalarAsync<long>(
                    "select count(distinct case_id) from assignment.custody where transfer_kind = 'routed' and case_id = any(@among)", new { among });
        }
        catch (Exception exception) when (exception is NpgsqlException or SocketException or TimeoutException)
        {
            return 0; // the primary is away
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(PostgresFailoverCluster cluster)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.ConnectionString()) { Username = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
