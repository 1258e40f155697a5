using System.Net.Http.Json;
using System.Text.Json;
using Accountability.TestSupport;
using RabbitMQ.Client;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>
/// The five services as deployed on a cluster (RabbitMq__QuorumQueues=true, as deploy/k8s sets it), against the real
/// RabbitMQ (one node: quorum queues work there too), in a database and a virtual host of their own.
/// </summary>
public sealed class QuorumQueueServiceTests
{
    [Fact]
    public async Task With_quorum_queues_every_durable_queue_of_the_five_services_and_their_error_queues_are_quorum_queues_and_a_poison_event_waits_in_its_error_queue()
    {
        await ServiceLogins.EnsureAsync(TestEnvironment.PostgresConnectionString);
        var database = IsolatedDatabase.NewName("quorum");
        var owner = await IsolatedDatabase.CreateAsync(TestEnvironment.PostgresConnectionString, database);
        await using var vhost = await IsolatedVirtualHost.CreateAsync("quorum-services");
        var services = new List<ServiceProcess>();
        try
        {
            Dictionary<string, string> SettingsOf(string name) => new()
            {
                ["ConnectionStrings__AccountabilityOwner"] = owner,
                ["ConnectionStrings__Accountability"] = ServiceLogins.ConnectionStringFor(owner, name),
                ["RabbitMq__Uri"] = vhost.AmqpUri,
                ["RabbitMq__QuorumQueues"] = "true",
            };
            services.Add(await ServiceProcess.StartAsync("Assignment", SettingsOf("Assignment")));
            services.AddRange(await Task.WhenAll(FiveServices.Names.Where(n => n != "Assignment").Select(n => ServiceProcess.StartAsync(n, SettingsOf(n)))));

            var queues = await QueuesAsync(vhost);
            var durable = queues.Where(q => q.Durable).ToList();
            Assert.All(durable, q => Assert.True(q.Type == "quorum", $"{q.Name} is a {q.Type} queue"));
            // Each service's receive queues by their prefix, each with its error queue declared beside it.
            foreach (var prefix in new[] { "intake-", "assignment-", "escalation-", "notification-", "audit-" })
                Assert.Contains(durable, q => q.Name.StartsWith(prefix, StringComparison.Ordinal) && !q.Name.EndsWith("_error", StringComparison.Ordinal));
            var receive = durable.Where(q => !q.Name.EndsWith("_error", StringComparison.Ordinal) && !q.Name.EndsWith("_skipped", StringComparison.Ordinal)).ToList();
            Assert.True(receive.Count >= 15, $"the five services' receive queues: {string.Join(", ", receive.Select(q => q.Name))}");
            Assert.All(receive, q => Assert.Contains(durable, e => e.Name == $"{q.Name}_error"));
            Assert.All(receive, q => Assert.Equal(20, q.Arguments["x-delivery-limit"].GetInt32()));

            // An event that can never be read (CaseRouted without its fields): straight to the error queue, no loop.
            const string queue = "notification-case-routed";
            await vhost.PublishRawAsync(queue, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["messageId"] = Guid.NewGuid(),
                ["messageType"] = new[] { "urn:message:Accountability.Contracts.Custody:CaseRouted" },
                ["message"] = new { },
            }));
            await Eventually.HoldsAsync(async () => await vhost.QueueDepthAsync($"{queue}_error") == 1, "the unreadable event waits in notification-case-routed_error");
            Assert.Equal(0u, await vhost.QueueDepthAsync(queue));
            Assert.All(services, s => Assert.False(s.HasExited, $"{s.Name} exited:\n{s.Output}"));
        }
        finally
        {
            foreach (var service in services)
                await service.DisposeAsync();
            await IsolatedDatabase.DropAsync(TestEnvironment.PostgresConnectionString, database);
        }
    }

    private sealed record QueueInfo(string Name, string Type, bool Durable, Dictionary<string, JsonElement> Arguments);

    private static async Task<List<QueueInfo>> QueuesAsync(IsolatedVirtualHost vhost)
    {
        using var management = IsolatedVirtualHost.ManagementClient(TestEnvironment.RabbitMqUri, TestEnvironment.RabbitMqManagementUri);
        var queues = await management.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(vhost.Name)}?columns=name,type,durable,arguments");
        return [.. queues.EnumerateArray().Select(q => new QueueInfo(
            q.GetProperty("name").GetString()!,
            q.GetProperty("type").GetString()!,
            q.GetProperty("durable").GetBoolean(),
            q.GetProperty("arguments").EnumerateObject().ToDictionary(a => a.Name, a => a.Value.Clone())))];
    }


}
