using System.Diagnostics;
using Accountability.TestSupport;

namespace Accountability.Chaos;

/// <summary>
/// The servers of `make chaos CLUSTER=1`, as containers: three RabbitMQ nodes clustered with quorum queues
/// (<see cref="RabbitMqCluster"/>) and a PostgreSQL primary with a synchronous standby under pg_auto_failover
/// (<see cref="PostgresFailoverCluster"/>). The services connect to every broker node and to both database hosts,
/// as a clustered deployment does. The faults hit the servers themselves, each with its proof: the broker node that
/// leads the busiest queues killed, a node cut off the network for 30 s, a rolling restart of all three, the
/// database primary killed.
/// </summary>
public sealed class ClusterServers : IChaosServers, IAsyncDisposable
{
    /// <summary>How long the partitioned node stays cut off.</summary>
    public static readonly TimeSpan PartitionLength = TimeSpan.FromSeconds(30);

    private readonly RabbitMqCluster broker;
    private readonly PostgresFailoverCluster database;

    private ClusterServers(RabbitMqCluster broker, PostgresFailoverCluster database, string stateDirectory)
    {
        this.broker = broker;
        this.database = database;
        StateDirectory = stateDirectory;
        // Pools of 20: fifteen service instances at most, each pool well under max_connections together. Npgsql's own
        // 15 s Timeout (to connect, and to wait for a pooled connection): with 5 s, a start on the loaded machine failed
        // its migrations' connects for minutes and the pools gave up on waits a little longer than usual.
        PostgresConnectionString = $"Host={database.Hosts};Database={PostgresFailoverCluster.Database};Username={PostgresFailoverCluster.OwnerLogin};" +
            $"Password={PostgresFailoverCluster.Password};Target Session Attributes=read-write;Maximum Pool Size=20";
        Environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ConnectionStrings__Accountability"] = PostgresConnectionString,
            ["RabbitMq__Uri"] = broker.AmqpUri,
            ["RabbitMq__ManagementUri"] = $"http://127.0.0.1:{broker.Nodes[0].ManagementPort}/",
            ["RabbitMq__ClusterNodes"] = broker.ClusterNodes,
            ["RabbitMq__QuorumQueues"] = "true",
            ["ACCOUNTABILITY_STATE_DIR"] = stateDirectory,
        };
    }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public string PostgresConnectionString { get; }

    public string StateDirectory { get; }

    public static async Task<ClusterServers> StartAsync(string stateDirectory)
    {
        ChaosRun.Log("starting the cluster as containers: three RabbitMQ nodes, and a pg_auto_failover monitor with two PostgreSQL nodes");
        var clock = Stopwatch.StartNew();
        // Both at once: each mostly waits on its servers' start. The nodes notice an unreachable peer within ~10 s
        // (net_ticktime), so the 30 s partition is seen, and its minority paused, while it lasts.
        var brokerStart = RabbitMqCluster.StartAsync(3, netTick: TimeSpan.FromSeconds(10));
        var databaseStart = PostgresFailoverCluster.StartAsync(maxConnections: 400);
        try
        {
            await Task.WhenAll(brokerStart, databaseStart);
        }
        catch
        {
            if (brokerStart.IsCompletedSuccessfully)
                await brokerStart.Result.DisposeAsync();
            if (databaseStart.IsCompletedSuccessfully)
                await databaseStart.Result.DisposeAsync();
            throw;
        }
        Directory.CreateDirectory(stateDirectory);
        var servers = new ClusterServers(brokerStart.Result, databaseStart.Result, stateDirectory);
        ChaosRun.Log($"cluster ready in {clock.Elapsed.TotalSeconds:0} s: RabbitMQ {servers.broker.ClusterNodes}; PostgreSQL {servers.database.Hosts}");
        return servers;
    }

    public string Describe() =>
        $"cluster: RabbitMQ nodes {broker.ClusterNodes} (quorum queues), PostgreSQL {database.Hosts} (pg_auto_failover); faults: kill -9 of the busiest " +
        $"broker node, a {PartitionLength.TotalSeconds:0} s partition, a rolling restart, kill -9 of the database primary, three instances of every service";

    public async Task InjectFaultsAsync(FaultSchedule schedule)
    {
        await schedule.AtAsync(0.08, "kill -9 of the busiest RabbitMQ node");
        await KillBusiestBrokerNodeAsync(schedule);

        await schedule.AtAsync(0.22, "RabbitMQ partition");
        await PartitionBrokerNodeAsync(schedule);

        await schedule.AtAsync(0.35, "three instances of every service");
        await schedule.Services.RunExtraInstancesAsync(schedule, TimeSpan.FromMinutes(4));

        await schedule.AtAsync(0.50, "kill -9 of the PostgreSQL primary");
        await KillDatabasePrimaryAsync(schedule);

        await schedule.AtAsync(0.65, "rolling restart of the RabbitMQ nodes");
        await RollingRestartAsync(schedule);

        await schedule.AtAsync(0.85, "back to one instance of every service");
        schedule.Note("back to one instance of every service (TERM to the others)");
        await schedule.Services.StopExtraInstancesAsync();
    }

    /// <summary>
    /// kill -9 of the node that leads the queues with the most work (delivered and waiting) in the run's virtual host.
    /// Proof: its container ended by SIGKILL, the other two saw it down, and every queue it led got a leader among them.
    /// Then it is started again and rejoins, so the next fault finds three nodes.
    /// </summary>
    private async Task KillBusiestBrokerNodeAsync(FaultSchedule schedule)
    {
        const string fault = "kill -9 of the busiest RabbitMQ node";
        var queues = await broker.QueuesAsync(schedule.VirtualHost);
        var busiest = queues.Where(q => q.Leader is not null).GroupBy(q => q.Leader!)
            .Select(g => (Leader: g.Key, Led: g.Select(q => q.Name).ToList(), Work: g.Sum(q => q.Delivered + q.Messages)))
            .OrderByDescending(l => l.Work).FirstOrDefault();
        if (busiest.Leader is null || broker.Nodes.SingleOrDefault(n => n.Name == busiest.Leader) is not { } node)
        {
            schedule.Evidence.Record(fault, false, $"no node of the cluster leads a queue of {schedule.VirtualHost} ({queues.Count} queues seen)");
            return;
        }
        schedule.Note($"{fault}: {node.Name}, leader of {busiest.Led.Count} of {queues.Count} queues ({busiest.Work} messages delivered or waiting)");
        await broker.KillAsync(node);
        var clock = Stopwatch.StartNew();
        var exit = await ExitCodeAsync(node.Container.Id);
        var others = broker.Nodes.Where(n => n != node).ToList();
        var seenDown = await WithinAsync(async () => await AllSeeAsync(others, node, running: false), TimeSpan.FromSeconds(60));
        var newLeaders = await WithinAsync(async () =>
        {
            var now = await broker.QueuesAsync(schedule.VirtualHost);
            return busiest.Led.All(name => now.FirstOrDefault(q => q.Name == name) is { Leader: { } leader } && leader != node.Name);
        }, TimeSpan.FromSeconds(90));
        schedule.Note($"{fault}: starting {node.Name} again");
        var rejoined = await TryRestartAsync(node);
        schedule.Note($"{fault}: {node.Name} {rejoined}");
        schedule.Evidence.Record(fault, exit == 137 && seenDown is not null && newLeaders is not null && rejoined == Rejoined,
            $"{node.Name}: container exit status {Show(exit)}; the other two saw it down {Seconds(seenDown)}; the {busiest.Led.Count} queues it led had " +
            $"leaders among them {Seconds(newLeaders)}; {node.Name} {rejoined} {clock.Elapsed.TotalSeconds:0} s after the kill");
    }

    /// <summary>
    /// Cuts the node that most clients are connected to off the network for <see cref="PartitionLength"/>. Proof: while cut
    /// off, an AMQP connection to it fails and the other two count it down (pause_minority pauses it); after the
    /// network returns, every node counts all three running.
    /// </summary>
    private async Task PartitionBrokerNodeAsync(FaultSchedule schedule)
    {
        const string fault = "RabbitMQ partition";
        var connections = await broker.ConnectionNodesAsync(broker.Nodes[0]).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : []);
        var node = broker.Nodes.OrderByDescending(n => connections.Count(c => c == n.Name)).ThenByDescending(n => n.Name).First();
        schedule.Note($"{fault}: {node.Name} ({connections.Count(c => c == node.Name)} of {connections.Count} client connections) cut off the network for {PartitionLength.TotalSeconds:0} s");
        var addressBefore = await AddressAsync(node);
        await broker.DisconnectAsync(node);
        var clock = Stopwatch.StartNew();
        var others = broker.Nodes.Where(n => n != node).ToList();
        var seenDown = await WithinAsync(async () => await AllSeeAsync(others, node, running: false), PartitionLength - TimeSpan.FromSeconds(3));
        var (unreachable, how) = await AmqpRefusedAsync(node);
        var rest = PartitionLength - clock.Elapsed;
        if (rest > TimeSpan.Zero)
            await Task.Delay(rest);
        await broker.ReconnectAsync(node);
        schedule.Note($"{fault}: {node.Name} is on the network again after {clock.Elapsed.TotalSeconds:0} s (address {addressBefore} before, {await AddressAsync(node)} now)");
        var healed = await WithinAsync(AllCountAllRunningAsync, TimeSpan.FromSeconds(120));
        // RabbitMQ 3.10.8 on Erlang 25.2.3 sometimes never finishes restarting the paused node once the network is
        // back: its boot waits in Erlang's `global` for good ("Global hang workaround" in its log, and no further
        // step). The cluster serves on the majority meanwhile. What an operator's liveness check would do is done
        // here, and said: the node is restarted. The partition itself stays proven by the refusal and the count above.
        var restartedAfterHang = "";
        if (healed is null)
        {
            schedule.Note($"{fault}: {node.Name} has not come back 120 s after the network returned; restarting it (stop, start)");
            await broker.StopAsync(node);
            var rejoined = await TryRestartAsync(node);
            var healedAfterRestart = await WithinAsync(AllCountAllRunningAsync, TimeSpan.FromSeconds(60));
            restartedAfterHang = $"; {node.Name} did NOT come back by itself within 120 s after the network returned (its RabbitMQ hung while booting), " +
                $"so it was restarted: it {rejoined}, and all three counted all three running {Seconds(healedAfterRestart)} after that restart";
            healed = healedAfterRestart;
        }
        var partitions = (await broker.NodesAsSeenByAsync(others[0])).SelectMany(n => n.Partitions).Distinct().ToList();
        schedule.Note($"{fault}: {(healed is null ? "NOT healed" : "healed")}");
        schedule.Evidence.Record(fault, unreachable && seenDown is not null && healed is not null,
            $"{node.Name}: an AMQP connection to it {(unreachable ? "failed" : "opened")} while cut off ({how}); the other two counted it down {Seconds(seenDown)} " +
            (restartedAfterHang.Length == 0 ? $"after the cut; all three counted all three running {Seconds(healed)} after the network returned" : $"after the cut{restartedAfterHang}") +
            (partitions.Count > 0 ? $"; partitions still listed: {string.Join(", ", partitions)}" : ""));
    }

    /// <summary>The node's address on the cluster's network, for the log.</summary>
    private async Task<string> AddressAsync(RabbitMqCluster.Node node)
    {
        var address = (await DockerCli.RunAsync("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{broker.NetworkName}\").IPAddress}}}}", node.Container.Id)).Trim();
        return address.Length == 0 ? "none" : address;
    }

    /// <summary>Whether every node answers (a node's management API answers only while its RabbitMQ runs) and counts all of them running.</summary>
    private async Task<bool> AllCountAllRunningAsync()
    {
        foreach (var asked in broker.Nodes)
            if ((await broker.NodesAsSeenByAsync(asked)).Count(n => n.Running) != broker.Nodes.Count)
                return false;
        return true;
    }

    /// <summary>
    /// kill -9 of the PostgreSQL primary's container (PostgreSQL and its pg_autoctl, as a lost machine). Proof: the
    /// container ended by SIGKILL, and the monitor promoted the standby, which accepts writes. The old primary is then
    /// started again; its rejoining as the new primary's synchronous standby is reported, not required: a lost machine
    /// may never come back, and under the chaos load its catching up (pg_rewind, then the WAL written meanwhile) once
    /// took more than the five minutes waited here. The new primary takes writes alone meanwhile (wait_primary).
    /// </summary>
    private async Task KillDatabasePrimaryAsync(FaultSchedule schedule)
    {
        const string fault = "kill -9 of the PostgreSQL primary";
        var lost = await database.KillPrimaryAsync(PrimaryLoss.Node);
        var clock = Stopwatch.StartNew();
        schedule.Note($"{fault}: {lost.Name}");
        var exit = await ExitCodeAsync(lost.Container.Id);
        PostgresFailoverCluster.Node? promoted = null;
        string? promotionFailure = null;
        try
        {
            promoted = await database.WaitForPromotionAsync(lost, TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException exception)
        {
            promotionFailure = exception.Message;
        }
        var promotedAfter = clock.Elapsed;
        schedule.Note(promoted is null ? $"{fault}: no promotion ({promotionFailure})" : $"{fault}: {promoted.Name} promoted after {promotedAfter.TotalSeconds:0} s; starting {lost.Name} again");
        string rejoin;
        try
        {
            await database.RestartAsync(lost, TimeSpan.FromMinutes(5));
            var standby = promoted is null ? "" : await PostgresFailoverCluster.SynchronousStandbyNamesAsync(promoted);
            rejoin = $"{lost.Name} back as its standby after {clock.Elapsed.TotalSeconds:0} s (synchronous_standby_names {standby})";
        }
        catch (TimeoutException exception)
        {
            rejoin = $"{lost.Name} not yet back as its standby {clock.Elapsed.TotalSeconds:0} s after the kill (informative; the run goes on with the new primary alone: {exception.Message})";
        }
        schedule.Note($"{fault}: {rejoin}");
        schedule.Evidence.Record(fault, exit == 137 && promoted is not null,
            $"{lost.Name}: container exit status {Show(exit)}; " +
            (promoted is null ? $"no node was promoted ({promotionFailure})" : $"{promoted.Name} promoted and accepting writes {promotedAfter.TotalSeconds:0} s after the kill") +
            $"; {rejoin}");
    }

    /// <summary>
    /// Each node in turn stopped cleanly and started again, the next only once the cluster counts it running. Proof:
    /// each node's start time moved, and after each restart the cluster counted all three running.
    /// </summary>
    private async Task RollingRestartAsync(FaultSchedule schedule)
    {
        const string fault = "rolling restart of the RabbitMQ nodes";
        var proofs = new List<string>();
        var confirmed = true;
        foreach (var node in broker.Nodes)
        {
            var other = broker.Nodes.First(n => n != node);
            var before = await StartedAtAsync(node);
            schedule.Note($"{fault}: stopping {node.Name}");
            var clock = Stopwatch.StartNew();
            var stoppedAt = DateTimeOffset.UtcNow;
            await broker.StopAsync(node);
            var rejoined = await TryRestartAsync(node);
            var all = await WithinAsync(async () => (await broker.NodesAsSeenByAsync(other)).Count(n => n.Running) == broker.Nodes.Count, TimeSpan.FromSeconds(60));
            var after = await StartedAtAsync(node);
            // The proof is a start after the stop was asked for (the containers share this machine's clock; the start
            // time is now - uptime, so allow for its rounding). The start before is shown, but it is not needed: the
            // management API sometimes cannot say it for a node that has run for a while (seen in a quick run).
            var restarted = after is not null && after > stoppedAt.AddSeconds(-2);
            confirmed &= restarted && all is not null && rejoined == Rejoined;
            proofs.Add($"{node.Name} started {Clock(before)}, stopped {Clock(stoppedAt)}, started again {Clock(after)} ({rejoined} after {clock.Elapsed.TotalSeconds:0} s{(all is null ? "; the cluster did NOT count three running" : "")})");
            schedule.Note($"{fault}: {node.Name} {rejoined}");
        }
        schedule.Evidence.Record(fault, confirmed, string.Join("; ", proofs));
    }

    private const string Rejoined = "runs in the cluster again";

    /// <summary>
    /// When <paramref name="node"/> last started, as any node reports it. A node's uptime is missing from the
    /// management API for a few seconds after it (or the node asked) starts, until its first statistics arrive, so ask again.
    /// </summary>
    private async Task<DateTimeOffset?> StartedAtAsync(RabbitMqCluster.Node node)
    {
        DateTimeOffset? startedAt = null;
        await WithinAsync(async () =>
        {
            foreach (var asked in broker.Nodes)
                if ((await broker.NodesAsSeenByAsync(asked)).FirstOrDefault(n => n.Name == node.Name)?.StartedAt is { } seen)
                {
                    startedAt = seen;
                    return true;
                }
            return false;
        }, TimeSpan.FromSeconds(30));
        return startedAt;
    }

    /// <summary>Starts a stopped or killed node and waits until the cluster counts it; what happened, as words for the evidence.</summary>
    private async Task<string> TryRestartAsync(RabbitMqCluster.Node node)
    {
        try
        {
            await broker.RestartAsync(node);
            return Rejoined;
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            return $"did NOT rejoin the cluster ({exception.Message})";
        }
    }

    /// <summary>Whether every one of <paramref name="askers"/> answers and counts <paramref name="node"/> as running (or not).</summary>
    private async Task<bool> AllSeeAsync(IEnumerable<RabbitMqCluster.Node> askers, RabbitMqCluster.Node node, bool running)
    {
        foreach (var asked in askers)
            if ((await broker.NodesAsSeenByAsync(asked)).FirstOrDefault(n => n.Name == node.Name) is not { } seen || seen.Running != running)
                return false;
        return true;
    }

    private static async Task<(bool Refused, string How)> AmqpRefusedAsync(RabbitMqCluster.Node node)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory
        {
            Uri = new Uri($"amqp://{RabbitMqCluster.User}:{RabbitMqCluster.Password}@127.0.0.1:{node.AmqpPort}/"),
            RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
            AutomaticRecoveryEnabled = false,
        };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await using var connection = await factory.CreateConnectionAsync(timeout.Token);
            return (false, "a connection opened");
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return (true, exception.GetBaseException().Message);
        }
    }

    /// <summary>The container's exit status once it has ended (10 s at most), or null.</summary>
    private static async Task<int?> ExitCodeAsync(string container)
    {
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(200))
            if (await DockerCli.ExitCodeAsync(container) is { } code)
                return code;
        return null;
    }

    /// <summary>How long until the condition held, or null if it did not within <paramref name="timeout"/>.</summary>
    private static async Task<TimeSpan?> WithinAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            if (await condition())
                return clock.Elapsed;
            await Task.Delay(500);
        }
        while (clock.Elapsed < timeout);
        return null;
    }

    private static string Seconds(TimeSpan? elapsed) => elapsed is { } e ? $"after {e.TotalSeconds:0} s" : "NOT within the time allowed";

    private static string Clock(DateTimeOffset? instant) => instant?.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) ?? "unknown (no node reported it)";

    private static string Show(int? exit) => exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (still running)";

    public async ValueTask DisposeAsync()
    {
        await broker.DisposeAsync();
        await database.DisposeAsync();
    }
}
