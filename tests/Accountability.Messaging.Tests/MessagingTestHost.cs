using Accountability.Messaging.Database;
using Accountability.Messaging.Migrations;
using Accountability.Messaging.Outbox;
using Accountability.TestSupport;
using Accountability.TestSupport.Messages;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Accountability.Messaging.Tests;

/// <summary>
/// A real host wired exactly as a service is (AddAccountabilityMessaging), in its own schema,
/// against the real PostgreSQL and RabbitMQ, with one consumer of <see cref="WorkItemDone"/>.
/// </summary>
public sealed class MessagingTestHost : IAsyncDisposable
{
    private readonly IHost host;

    private readonly string rabbitMqUri;

    private MessagingTestHost(IHost host, string schema, string rabbitMqUri)
    {
        this.host = host;
        this.rabbitMqUri = rabbitMqUri;
        Schema = schema;
    }

    public string Schema { get; }

    /// <summary>Every message of this host carries it; the consumer ignores other tests' messages on the shared exchange.</summary>
    public string Run => Log.Run;

    public DeliveryLog Log => host.Services.GetRequiredService<DeliveryLog>();

    public ServiceDatabase Database => host.Services.GetRequiredService<ServiceDatabase>();

    /// <summary>The host's last warnings and errors, for a stalled test's message.</summary>
    public RecentLogs RecentLogs => host.Services.GetRequiredService<RecentLogs>();

    public IServiceProvider Services => host.Services;

    /// <summary>Cancelled when the host begins to stop, as when a service's watchdog asks it to exit.</summary>
    public CancellationToken Stopping => host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;

    /// <summary>The consumer's queue; MassTransit names the error queue after it.</summary>
    public string QueueName => BrokerNames.Queue(Schema, "work-item");

    public static async Task<MessagingTestHost> StartAsync(
        bool relay = true, int retryLimit = 2, string? schema = null, TimeSpan? pollInterval = null, string? rabbitMqUri = null,
        IReadOnlyDictionary<string, string?>? settings = null, bool waitUntilStarted = true)
    {
        schema ??= TestDatabase.NewSchema("msg");
        rabbitMqUri ??= TestEnvironment.RabbitMqUri;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Accountability"] = TestEnvironment.PostgresConnectionString,
            ["RabbitMq:Uri"] = rabbitMqUri,
            ["Messaging:RelayEnabled"] = relay.ToString(),
            ["Messaging:PublishTimeout"] = "00:00:02",
            ["Messaging:RelayMaxBackoff"] = "00:00:01",
            ["Messaging:RelayPollInterval"] = (pollInterval ?? TimeSpan.FromSeconds(1)).ToString(),
            ["Messaging:ConsumerRetryLimit"] = retryLimit.ToString(),
            ["Messaging:ConsumerRetryInterval"] = "00:00:00.050",
            // A host in the test's process is no process to end and start again: a test that wants the watchdog sets
            // it and stops the host itself when it is asked to (its process would end 30 s after an unfinished stop).
            ["Messaging:StuckEndpointExitAfter"] = "00:00:00",
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        var run = Guid.NewGuid().ToString("N");
        builder.Services.AddSingleton(new DeliveryLog(run));
        var recentLogs = new RecentLogs();
        builder.Logging.AddProvider(recentLogs);
        builder.Services.AddSingleton(recentLogs);
        builder.AddAccountabilityMessaging(schema, typeof(MessagingTestHost).Assembly, bus =>
            bus.AddConsumer<WorkItemConsumer, WorkItemConsumerDefinition>().Endpoint(e => e.Name = BrokerNames.Queue(schema, "work-item")));
        // Start returns only once the consumer's queue is bound, so no test message is published into the void
        // (unless the test is about endpoints that do not start).
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = waitUntilStarted);
        var host = builder.Build();
        await host.StartAsync();
        return new MessagingTestHost(host, schema, rabbitMqUri);
    }

    /// <summary>Writes a work item row and its outbox message in one transaction, then commits or rolls back.</summary>
    public async Task<Guid> WriteWorkItemAsync(bool commit = true, bool poison = false, Guid? id = null)
    {
        var workId = id ?? Guid.NewGuid();
        await using var connection = await Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("insert into work_items (work_id) values (@workId)", new { workId }, transaction);
        await OutboxWriter.EnqueueAsync(transaction, new WorkItemDone { WorkId = workId, Run = Run, Poison = poison });
        if (commit)
            await transaction.CommitAsync();
        else
            await transaction.RollbackAsync();
        return workId;
    }

    /// <summary>Durable queues outlive the host; without this every later test's messages would pile up in them.</summary>
    private async Task DeleteQueuesAsync()
    {
        // Straight to the broker (a test's BrokerLink may be cut by now), in the host's virtual host.
        var direct = new UriBuilder(TestEnvironment.RabbitMqUri) { Path = new Uri(rabbitMqUri).AbsolutePath }.Uri;
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = direct };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in new[] { QueueName, $"{QueueName}_error", $"{QueueName}_skipped" })
        {
            await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
            await channel.ExchangeDeleteAsync(queue, ifUnused: false);
        }
    }

    public async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    /// <summary>The relay's last error on the oldest unpublished outbox row, to say why a stall happened.</summary>
    public async Task<string?> OldestOutboxErrorAsync()
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string?>(
            "select attempts || ' attempt(s), last: ' || last_error from outbox where published_at is null and last_error is not null order by seq limit 1");
    }

    /// <summary>
    /// The effects once every one of <paramref name="workIds"/> is applied. The consumer logs a delivery
    /// before its inbox transaction commits, so a delivery seen is not yet an effect readable.
    /// </summary>
    public Task<Dictionary<Guid, int>> EffectsOnceAppliedAsync(params Guid[] workIds) =>
        Eventually.ReturnsAsync(EffectsAsync, effects => workIds.All(effects.ContainsKey), "the work items' effects are applied");

    public async Task<Dictionary<Guid, int>> EffectsAsync()
    {
        await using var connection = await Database.OpenConnectionAsync();
        return (await connection.QueryAsync<(Guid WorkId, int Applied)>("select work_id, applied from effects"))
            .ToDictionary(r => r.WorkId, r => r.Applied);
    }

    /// <summary>Stops the bus (and the relay) but keeps the queues and the schema, until <see cref="DisposeAsync"/>.</summary>
    public Task StopAsync() => host.StopAsync(TimeSpan.FromSeconds(15));

    public async ValueTask DisposeAsync()
    {
        // Bounded: MassTransit's stop does not heed the host's cancellation, and once (a fresh-clone make test) a receive
        // endpoint whose broker link had been cut and restored waited on its transport for good, hanging the whole run.
        // A stop that outlasts this leaves the host undisposed; the queues and the schema are removed all the same.
        try
        {
            await host.StopAsync(TimeSpan.FromSeconds(15)).WaitAsync(TimeSpan.FromSeconds(45));
            host.Dispose();
        }
        catch (TimeoutException)
        {
            // Left undisposed: disposing would wait on the same stuck stop.
        }
        await DeleteQueuesAsync();
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync($"drop schema if exists \"{Schema}\" cascade");
    }
}
