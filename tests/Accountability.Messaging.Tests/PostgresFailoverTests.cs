using System.Collections.Concurrent;
using System.Diagnostics;
using Accountability.TestSupport;
using Dapper;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Accountability.Messaging.Tests;

/// <summary>
/// A host wired as a service is (outbox, relay with its LISTEN connection, inbox) against a pg_auto_failover formation
/// of containers (<see cref="PostgresFailoverCluster"/>), through a multi-host connection string with
/// Target Session Attributes=read-write, and the assembly's ordinary RabbitMQ.
/// </summary>
public sealed class PostgresFailoverTests(ITestOutputHelper output)
{
    // The loss of the primary's whole node (its container) is PostgresFailoverServiceTests' fault, with the real
    // services; here only its postgres is killed, which fails over in seconds, to keep make test's time down.
    [Theory]
    [InlineData(PrimaryLoss.Postgres)]
    public async Task A_service_on_a_multi_host_connection_string_applies_each_message_exactly_once_when_the_primary_is_killed_and_its_standby_promoted(PrimaryLoss loss)
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await PostgresFailoverCluster.StartAsync();
        var first = await cluster.PrimaryAsync() ?? throw new InvalidOperationException("no primary");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: formation up, {first.Name} primary ({cluster.Hosts}); " +
            $"synchronous_standby_names = '{await PostgresFailoverCluster.SynchronousStandbyNamesAsync(first)}'");
        await using var host = await MessagingTestHost.StartAsync(
            // The production poll interval: work written after the promotion flows fast only if the relay's
            // LISTEN is re-established on the new primary.
            pollInterval: TimeSpan.FromSeconds(30),
            settings: new Dictionary<string, string?> { ["ConnectionStrings:Accountability"] = cluster.ConnectionString() });

        // A steady stream of work, each item written with its outbox message in one transaction. A write that fails
        // (the primary is gone, the standby not yet promoted) is tried again as a new item; its commit may or may not
        // have happened, so what counts as written is what the database holds afterwards.
        var confirmed = new ConcurrentDictionary<Guid, TimeSpan>();
        var failedWrites = 0;
        var failures = new ConcurrentDictionary<string, int>();
        var firstFailure = TimeSpan.Zero;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = Guid.NewGuid();
                try
                {
                    await host.WriteWorkItemAsync(id: id);
                    confirmed[id] = clock.Elapsed;
                    await Task.Delay(20, CancellationToken.None);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    failures.AddOrUpdate(exception.GetType().Name, 1, (_, n) => n + 1);
                    if (Interlocked.Increment(ref failedWrites) == 1)
                        firstFailure = clock.Elapsed;
                    await Task.Delay(200, CancellationToken.None);
                }
            }
        });

        await Eventually.HoldsAsync(async () => (await host.EffectsAsync()).Count >= 50, "the stream flows before the fault", TimeSpan.FromSeconds(60));
        var killed = await cluster.KillPrimaryAsync(loss);
        var killedAt = clock.Elapsed;
        output.WriteLine($"{killedAt.TotalSeconds:0.0} s: killed {killed.Name}'s " +
            $"{(loss == PrimaryLoss.Node ? "container (pg_autoctl and PostgreSQL)" : "postmaster (kill -9; pg_autoctl lives)")} after {confirmed.Count} items written");

        var promoted = await cluster.WaitForPromotionAsync(killed, TimeSpan.FromSeconds(180));
        var promotedAt = clock.Elapsed;
        output.WriteLine($"{promotedAt.TotalSeconds:0.0} s: {promoted.Name} promoted and accepting writes ({(promotedAt - killedAt).TotalSeconds:0.0} s after the kill); " +
            $"monitor: {string.Join(", ", (await cluster.StatesAsync()).Select(s => $"{s.Name} {s.Reported}/{s.Goal}"))}");

        // Work written after the kill is written on the new primary and applied there.
        await Eventually.HoldsAsync(() => confirmed.Values.Count(at => at > killedAt) >= 50, "work is written again after the kill", TimeSpan.FromSeconds(120));
        var afterKill = confirmed.Where(c => c.Value > killedAt).OrderBy(c => c.Value).ToList();
        var firstWriteAfterKill = afterKill[0].Value;
        await Eventually.HoldsAsync(async () => (await host.EffectsAsync()).ContainsKey(afterKill[0].Key),
            "the first item written after the kill is applied", TimeSpan.FromSeconds(120));
        var firstAppliedAfterKill = clock.Elapsed;
        var batchAfterKill = afterKill.Take(50).Select(c => c.Key).ToArray();
        await Eventually.HoldsAsync(async () => batchAfterKill.All((await host.EffectsAsync()).ContainsKey),
            "work written after the kill is applied", TimeSpan.FromSeconds(120));
        output.WriteLine($"{firstWriteAfterKill.TotalSeconds:0.0} s: first write committed after the kill ({(firstWriteAfterKill - killedAt).TotalSeconds:0.0} s after it; " +
            $"{failedWrites} writes failed meanwhile ({string.Join(", ", failures.Select(f => $"{f.Value} {f.Key}"))}), the first at {firstFailure.TotalSeconds:0.0} s); applied by {firstAppliedAfterKill.TotalSeconds:0.0} s " +
            $"({(firstAppliedAfterKill - killedAt).TotalSeconds:0.0} s after the kill)");

        // The relay listens on the new primary again (not only polls).
        await Eventually.HoldsAsync(async () => await ListenersAsync(promoted, host.Schema) >= 1,
            "the relay's LISTEN session is on the new primary", TimeSpan.FromSeconds(60));

        // The lost node comes back (started again, or by itself when only its postgres died) as the standby of the new
        // primary, and the stream goes on.
        await cluster.RestartAsync(killed, TimeSpan.FromSeconds(240));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {killed.Name} rejoined as the standby; synchronous_standby_names on {promoted.Name} = " +
            $"'{await PostgresFailoverCluster.SynchronousStandbyNamesAsync(promoted)}'");
        var writtenBeforeRejoin = confirmed.Count;
        await Eventually.HoldsAsync(() => confirmed.Count >= writtenBeforeRejoin + 50, "more work is written after the node rejoins", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await writer;

        // The database's own account of what was written: every confirmed write, and any write whose commit landed
        // although its caller saw an error. Each has exactly one effect, and there is no effect without its item.
        var committed = await Eventually.ReturnsAsync(async () =>
            {
                var items = (await QueryAsync<Guid>(host, "select work_id from work_items")).ToHashSet();
                var effects = await host.EffectsAsync();
                return (Items: items, Effects: effects);
            }, r => r.Items.SetEquals(r.Effects.Keys), "every committed work item is applied", TimeSpan.FromSeconds(120));
        Assert.Subset(committed.Items, confirmed.Keys.ToHashSet());
        Assert.All(committed.Effects, e => Assert.Equal(1, e.Value));
        await Eventually.HoldsAsync(async () => await host.CountAsync("select count(*) from outbox where published_at is null") == 0,
            "the relay has published every outbox row");
        Assert.Equal(0, await host.CountAsync("select count(*) from outbox where failed_at is not null"));
        Assert.NotEqual(killed, promoted);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {committed.Items.Count} items committed ({confirmed.Count} confirmed to the writer, " +
            $"{committed.Items.Count - confirmed.Count} committed though the writer saw an error), each applied once; {host.Log.Total} deliveries " +
            $"({host.Log.Total - committed.Items.Count} duplicates dropped by the inbox); {failedWrites} writes failed and were not counted");
    }

    private static async Task<IEnumerable<T>> QueryAsync<T>(MessagingTestHost host, string sql)
    {
        await using var connection = await host.Database.OpenConnectionAsync();
        return await connection.QueryAsync<T>(sql);
    }

    /// <summary>Sessions of the host's application on <paramref name="node"/> whose last statement was its LISTEN or the listener's check.</summary>
    private static async Task<long> ListenersAsync(PostgresFailoverCluster.Node node, string schema)
    {
        await using var connection = new NpgsqlConnection(node.SuperuserConnectionString());
        await connection.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(
            "select count(*) from pg_stat_activity where application_name = @app and (query ilike 'listen %' or query = 'select pg_is_in_recovery()')",
            new { app = $"accountability-{schema}" });
    }
}
