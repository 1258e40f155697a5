using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Npgsql;

namespace Accountability.TestSupport;

/// <summary>
/// A pg_auto_failover formation of our own image (deploy/images/build.sh pg-auto-failover) on a user-defined Docker
/// network of its own: a monitor and two PostgreSQL 15 data nodes, pg-1 and pg-2, with synchronous replication
/// (pg_auto_failover sets <c>synchronous_standby_names = 'ANY 1 (...)'</c> on the primary while its standby is
/// healthy). The monitor, not this class, decides and performs a failover. Each data node publishes 5432 on a fixed
/// loopback port picked at creation, so a node that is killed and started again answers where the services look for
/// it, and the services get both in one multi-host connection string with <c>Target Session Attributes=read-write</c>.
/// The containers and the network carry <see cref="TestServers"/>' labels and are removed on dispose.
/// </summary>
/// <remarks>
/// pg_autoctl is each container's first process and supervises its PostgreSQL. <see cref="KillPrimaryAsync"/> can kill
/// the whole node (SIGKILL of the container: the monitor hears nothing, calls the node unhealthy after its timeouts and
/// waits for it to have fenced itself before the standby takes writes, about 50 s with the defaults) or only its
/// PostgreSQL (<c>kill -9</c> of the postmaster: pg_autoctl lives on, reports it, and confirms its demotion, so the
/// standby takes writes within seconds). The first is the loss of a machine, the second a crash of the database. The
/// nodes trust every client of the container network
/// (pg_autoctl --auth trust, and a <c>samenet</c> line added to pg_hba.conf for the host's published ports): a test
/// formation only.
/// </remarks>
public sealed class PostgresFailoverCluster : IAsyncDisposable
{
    public const string Image = "accountability/pg-auto-failover:15";
    public const string Database = "accountability";
    public const string OwnerLogin = "accountability";
    public const string Password = "accountability";

    private const string PgData = "/var/lib/postgresql/data";

    private readonly INetwork network;
    private readonly IContainer monitor;
    private readonly IReadOnlyList<Node> nodes;

    private PostgresFailoverCluster(INetwork network, IContainer monitor, IReadOnlyList<Node> nodes)
    {
        this.network = network;
        this.monitor = monitor;
        this.nodes = nodes;
    }

    /// <summary>One data node: its name in the formation (and on the network), its container, and its port on the host.</summary>
    public sealed record Node(string Name, IContainer Container, int Port)
    {
        public string Address => $"127.0.0.1:{Port}";

        /// <summary>A connection string to this node alone, as the superuser.</summary>
        public string SuperuserConnectionString(string database = "postgres") =>
            $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Pooling=false;Timeout=5;Command Timeout=10";
    }

    /// <summary>A node's state as the monitor records it (pgautofailover.node).</summary>
    public sealed record NodeState(string Name, string Reported, string Goal);

    public IReadOnlyList<Node> Nodes => nodes;

    /// <summary>Both data nodes, for the Host of a multi-host connection string.</summary>
    public string Hosts => string.Join(',', nodes.Select(n => n.Address));

    /// <summary>
    /// The owner login's multi-host connection string: Npgsql tries the hosts in turn and keeps the one that accepts
    /// writes. A host once seen down or read-only is skipped for Host Recheck Seconds (10 by default).
    /// </summary>
    public string ConnectionString(string login = OwnerLogin, int maximumPoolSize = 20) =>
        $"Host={Hosts};Database={Database};Username={login};Password={Password};Target Session Attributes=read-write;" +
        $"Maximum Pool Size={maximumPoolSize};Timeout=5";

    /// <param name="maxConnections">
    /// PostgreSQL's max_connections, when not its 100 (many service instances at once): set on the first node while it
    /// runs alone (ALTER SYSTEM, then a restart of its container), so the standby's copy starts with it too.
    /// </param>
    public static async Task<PostgresFailoverCluster> StartAsync(int? maxConnections = null)
    {
        var (run, assembly) = TestServers.RunAndAssembly();
        var id = Guid.NewGuid().ToString("N")[..8];
        var network = new NetworkBuilder()
            .WithName($"accountability-pgaf-{id}")
            .WithLabel(TestServers.TestLabel, "true").WithLabel(TestServers.RunLabel, run).WithLabel(TestServers.AssemblyLabel, assembly)
            .Build();
        var monitor = new ContainerBuilder(Image)
            .WithNetwork(network)
            .WithHostname("monitor")
            .WithNetworkAliases("monitor")
            .WithEnvironment("PGAF_ROLE", "monitor")
            .WithEnvironment("PGAF_HOSTNAME", "monitor")
            .WithLabel(TestServers.TestLabel, "true").WithLabel(TestServers.RunLabel, run).WithLabel(TestServers.AssemblyLabel, assembly)
            .Build();
        var nodes = new List<Node>();
        for (var i = 1; i <= 2; i++)
        {
            var name = $"pg-{i}";
            var port = DockerCli.FreeLoopbackPort();
            var container = new ContainerBuilder(Image)
                .WithNetwork(network)
                .WithHostname(name)
                .WithNetworkAliases(name)
                .WithPortBinding(port, 5432)
                .WithEnvironment("PGAF_ROLE", "postgres")
                .WithEnvironment("PGAF_HOSTNAME", name)
                .WithEnvironment("PGAF_MONITOR", "postgres://autoctl_node@monitor:5432/pg_auto_failover?sslmode=disable")
                .WithLabel(TestServers.TestLabel, "true").WithLabel(TestServers.RunLabel, run).WithLabel(TestServers.AssemblyLabel, assembly)
                .Build();
            nodes.Add(new Node(name, container, port));
        }

        var cluster = new PostgresFailoverCluster(network, monitor, nodes);
        try
        {
            await network.CreateAsync();
            await monitor.StartAsync();
            await Eventually.HoldsAsync(async () => (await monitor.ExecAsync(["pg_isready", "-h", "/var/run/postgresql", "-d", "pg_auto_failover"])).ExitCode == 0,
                "the monitor accepts connections", TimeSpan.FromSeconds(90));
            // One after the other, so pg-1 is the first primary: the monitor makes it a single node, then pg-2 registers
            // and clones it (pg_basebackup). On a loaded machine either step can take minutes.
            await nodes[0].Container.StartAsync();
            await cluster.WaitForStatesAsync(s => s.Count == 1 && s[0] is { Reported: "single", Goal: "single" },
                $"{nodes[0].Name} runs as a single node", TimeSpan.FromSeconds(240));
            if (maxConnections is { } connections)
                await cluster.SetMaxConnectionsAsync(nodes[0], connections);
            await nodes[1].Container.StartAsync();
            await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(300));
            foreach (var node in nodes)
                await cluster.TrustTheHostAsync(node);
            await cluster.CreateLoginsAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>What the monitor records for each data node.</summary>
    public async Task<IReadOnlyList<NodeState>> StatesAsync()
    {
        var result = await monitor.ExecAsync(
        [
            "psql", "-h", "/var/run/postgresql", "-U", "postgres", "-d", "pg_auto_failover", "-AtF", "|", "-c",
            "select nodename, reportedstate, goalstate from pgautofailover.node order by nodeid",
        ]);
        if (result.ExitCode != 0)
            return [];
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('|'))
            .Where(f => f.Length == 3)
            .Select(f => new NodeState(f[0], f[1], f[2]))];
    }

    /// <summary>The node that reports itself the primary (and is meant to be), or null while there is none.</summary>
    public async Task<Node?> PrimaryAsync()
    {
        var primary = (await StatesAsync()).FirstOrDefault(s => s.Reported is "primary" or "wait_primary" && s.Goal == s.Reported);
        return primary is null ? null : nodes.Single(n => n.Name == primary.Name);
    }

    /// <summary>Waits until one node is the primary and the other its synchronous standby, as the monitor sees them.</summary>
    public Task WaitUntilHealthyAsync(TimeSpan timeout) =>
        WaitForStatesAsync(states => states.Count == nodes.Count
                && states.Count(s => s is { Reported: "primary", Goal: "primary" }) == 1
                && states.Count(s => s is { Reported: "secondary", Goal: "secondary" }) == nodes.Count - 1,
            "one primary and one synchronous standby", timeout);

    /// <summary>Waits until the monitor's node states satisfy <paramref name="accept"/>; a timeout names the last states seen.</summary>
    private async Task WaitForStatesAsync(Func<IReadOnlyList<NodeState>, bool> accept, string description, TimeSpan timeout)
    {
        IReadOnlyList<NodeState> last = [];
        try
        {
            await Eventually.HoldsAsync(async () => accept(last = await StatesAsync()), description, timeout);
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException(
                $"{exception.Message}; the monitor last said: {(last.Count == 0 ? "nothing" : string.Join(", ", last.Select(s => $"{s.Name} {s.Reported}/{s.Goal}")))}",
                exception);
        }
    }

    /// <summary>
    /// Kills the primary, and returns it. <see cref="PrimaryLoss.Node"/>: SIGKILL of its container (pg_autoctl and
    /// PostgreSQL together, no goodbye, as a dead machine). <see cref="PrimaryLoss.Postgres"/>: <c>kill -9</c> of its
    /// postmaster only; its pg_autoctl lives on, tells the monitor, and takes part in the failover.
    /// </summary>
    public async Task<Node> KillPrimaryAsync(PrimaryLoss loss = PrimaryLoss.Node)
    {
        var primary = await PrimaryAsync() ?? throw new InvalidOperationException("The formation has no primary to kill.");
        if (loss == PrimaryLoss.Node)
        {
            await DockerCli.RunAsync("kill", primary.Container.Id);
            return primary;
        }
        var result = await primary.Container.ExecAsync(["bash", "-c", $"kill -9 \"$(head -n 1 {PgData}/postmaster.pid)\""]);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"Could not kill {primary.Name}'s postmaster: {result.Stdout} {result.Stderr}");
        return primary;
    }

    /// <summary>
    /// Waits until the monitor has promoted another node than <paramref name="lost"/> and that node accepts a write.
    /// Returns the new primary.
    /// </summary>
    public async Task<Node> WaitForPromotionAsync(Node lost, TimeSpan timeout)
    {
        Node? promoted = null;
        await Eventually.HoldsAsync(async () =>
        {
            promoted = await PrimaryAsync();
            return promoted is not null && promoted != lost && await AcceptsWritesAsync(promoted);
        }, $"a node other than {lost.Name} is promoted and accepts writes", timeout);
        return promoted!;
    }

    /// <summary>
    /// Starts a killed node again (same port, same data) and waits until it is the standby of the new primary. A node
    /// whose postgres alone was killed still runs, and rejoins by itself.
    /// </summary>
    public async Task RestartAsync(Node node, TimeSpan timeout)
    {
        await DockerCli.RunAsync("start", node.Container.Id);
        await WaitUntilHealthyAsync(timeout);
    }

    /// <summary>The synchronous_standby_names in force on <paramref name="node"/>.</summary>
    public static async Task<string> SynchronousStandbyNamesAsync(Node node)
    {
        await using var connection = new NpgsqlConnection(node.SuperuserConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("show synchronous_standby_names", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<bool> AcceptsWritesAsync(Node node)
    {
        try
        {
            await using var connection = new NpgsqlConnection(node.SuperuserConnectionString());
            await connection.OpenAsync();
            // A temporary table is a write that leaves nothing behind, and fails on a standby or a read-only session.
            await using var command = new NpgsqlCommand("create temporary table promotion_probe (x int); select not pg_is_in_recovery()", connection);
            return (bool)(await command.ExecuteScalarAsync())!;
        }
        catch (Exception exception) when (exception is NpgsqlException or SocketException or TimeoutException)
        {
            return false;
        }
    }

    private async Task SetMaxConnectionsAsync(Node node, int connections)
    {
        var set = await node.Container.ExecAsync(["psql", "-h", "/var/run/postgresql", "-U", "postgres", "-d", "postgres", "-Atc",
            $"alter system set max_connections = {connections}"]);
        if (set.ExitCode != 0)
            throw new InvalidOperationException($"Could not set max_connections on {node.Name}: {set.Stdout} {set.Stderr}");
        await DockerCli.RunAsync("restart", "-t", "30", node.Container.Id);
        await WaitForStatesAsync(s => s.Count == 1 && s[0] is { Reported: "single", Goal: "single" },
            $"{node.Name} runs as a single node again after its restart", TimeSpan.FromSeconds(120));
        await Eventually.HoldsAsync(async () =>
        {
            var shown = await node.Container.ExecAsync(["psql", "-h", "/var/run/postgresql", "-U", "postgres", "-d", "postgres", "-Atc", "show max_connections"]);
            return shown.ExitCode == 0 && shown.Stdout.Trim() == connections.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }, $"{node.Name} runs with max_connections = {connections}", TimeSpan.FromSeconds(60));
    }

    /// <summary>pg_autoctl writes pg_hba.conf lines for its own logins only; the tests' logins come through the published port.</summary>
    private async Task TrustTheHostAsync(Node node)
    {
        var result = await node.Container.ExecAsync(
        [
            "bash", "-c",
            $"echo 'host all all samenet trust # PostgresFailoverCluster: the host, through the published port' >> {PgData}/pg_hba.conf " +
            "&& psql -h /var/run/postgresql -U postgres -d postgres -Atc 'select pg_reload_conf()'",
        ]);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"Could not open pg_hba.conf on {node.Name} to the host: {result.Stdout} {result.Stderr}");
    }

    /// <summary>The owner login, its database and the five service logins, as TestServers' init scripts create them (replicated to the standby).</summary>
    private async Task CreateLoginsAsync()
    {
        var primary = await PrimaryAsync() ?? throw new InvalidOperationException("The formation has no primary.");
        await using (var connection = new NpgsqlConnection(primary.SuperuserConnectionString()))
        {
            await connection.OpenAsync();
            foreach (var sql in new[]
            {
                $"create role {OwnerLogin} login createrole createdb password '{Password}'",
                $"create database {Database} owner {OwnerLogin}",
                await File.ReadAllTextAsync(RepositoryPaths.File("deploy", "postgres", "service-logins.sql")),
            })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var container in nodes.Select(n => n.Container).Append(monitor))
        {
            try
            {
                await container.DisposeAsync();
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Best effort: test.sh's cleanup removes whatever carries this run's label.
            }
        }
        try
        {
            await network.DisposeAsync();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // A network still in use, or already gone.
        }
    }
}

/// <summary>How <see cref="PostgresFailoverCluster.KillPrimaryAsync"/> kills the primary.</summary>
public enum PrimaryLoss
{
    /// <summary>The whole node: its container, pg_autoctl and PostgreSQL together.</summary>
    Node,

    /// <summary>Its PostgreSQL only (<c>kill -9</c> of the postmaster); pg_autoctl survives.</summary>
    Postgres,
}
