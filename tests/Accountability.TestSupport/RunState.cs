using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;

namespace Accountability.TestSupport;

/// <summary>Cleans up after a test fixture that gave services schemas (and so queues) of their own.</summary>
public static class RunState
{
    /// <summary>The schemas and queues of this run: left behind, the queues would collect every event published after it, forever.</summary>
    public static async Task DropAsync(IReadOnlyList<string> schemas, string? auditSchema = null)
    {
        try
        {
            await using var connection = await TestDatabase.OpenAsync();
            foreach (var schema in schemas)
                await connection.ExecuteAsync($"drop schema if exists \"{schema}\" cascade");
            var writer = $"{auditSchema}_writer";
            if (auditSchema is not null && await connection.ExecuteScalarAsync<bool>("select exists (select 1 from pg_roles where rolname = @writer)", new { writer }))
                await connection.ExecuteAsync($"drop owned by \"{writer}\"; drop role \"{writer}\"");
        }
        catch (Npgsql.NpgsqlException)
        {
            // Best effort: a leftover schema costs disk, not correctness.
        }

        try
        {
            var amqp = new Uri(TestEnvironment.RabbitMqUri);
            using var management = new HttpClient { BaseAddress = new Uri(TestEnvironment.RabbitMqManagementUri) };
            management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(amqp.UserInfo))));
            var queues = await management.GetFromJsonAsync<JsonElement>("api/queues?columns=name");
            var prefixes = schemas.SelectMany(s => new[] { s + "-", s.Replace('_', '-') + "-" }).ToArray();
            var ours = queues.EnumerateArray().Select(q => q.GetProperty("name").GetString()!)
                .Where(name => prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))).ToList();
            if (ours.Count == 0)
                return;
            var factory = new RabbitMQ.Client.ConnectionFactory { Uri = amqp };
            await using var connection = await factory.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            foreach (var name in ours)
            {
                await channel.QueueDeleteAsync(name, ifUnused: false, ifEmpty: false);
                await channel.ExchangeDeleteAsync(name);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or RabbitMQ.Client.Exceptions.RabbitMQClientException or InvalidOperationException)
        {
            // Best effort, as above.
        }
    }
}
