using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Networks;
using Testcontainers.RabbitMq;

namespace Accountability.TestSupport;

/// <summary>
/// Three RabbitMQ nodes of our own image (deploy/images/build.sh rabbitmq) clustered on a user-defined Docker
/// network of their own: one Erlang cookie, nodes rabbit@rabbit-1..3, and rabbit-2 and rabbit-3 joined to rabbit-1
/// with <c>rabbitmqctl join_cluster</c>. Each node publishes AMQP and management on fixed loopback ports picked at
/// creation, so a node that is killed and started again answers where the services look for it. The containers and
/// the network carry <see cref="TestServers"/>' labels (a crashed test host leaves them to test.sh's cleanup) and are
/// removed on dispose. A test owns its cluster: start one per test, in the default virtual host.
/// </summary>
public sealed class RabbitMqCluster : IAsyncDisposable
{
    public const string User = "accountability";
    public const string Password = "accountability";


    private readonly INetwork network;
    private readonly IReadOnlyList<Node> nodes;
    private readonly HttpClient management = new() { Timeout = TimeSpan.FromSeconds(10) };

    private RabbitMqCluster(INetwork network, IReadOnlyList<Node> nodes)
    {
        this.network = network;
        this.nodes = nodes;
        management.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
    }

    /// <summary>One node: its Erlang node name, its container, and its ports on the host.</summary>
    public sealed record Node(string Name, RabbitMqContainer Container, int AmqpPort, int ManagementPort)
    {
        public string Address => $"127.0.0.1:{AmqpPort}";

        /// <summary>Its host name on the cluster's network (rabbit-1), as the other nodes find it.</summary>
        public string Hostname => Name[(Name.IndexOf('@', StringComparison.Ordinal) + 1)..];
    }

    /// <summary>A node as another node's management API reports it.</summary>
    public sealed record NodeView(string Name, bool Running, DateTimeOffset? StartedAt, IReadOnlyList<string> Partitions);

    /// <summary>A queue of a virtual host: the node that leads it, what waits in it and how much it has delivered so far.</summary>
    public sealed record QueueView(string Name, string? Leader, long Messages, long Delivered);

    public IReadOnlyList<Node> Nodes => nodes;

    /// <summary>For RabbitMq:Uri: the login and the default virtual host (its host is the first node).</summary>
    public string AmqpUri => $"amqp://{User}:{Password}@127.0.0.1:{nodes[0].AmqpPort}/";

    /// <summary>For RabbitMq:ClusterNodes: every node, comma-separated.</summary>
    public string ClusterNodes => string.Join(',', nodes.Select(n => n.Address));

    public string NetworkName => network.Name;

    /// <param name="netTick">
    /// The Erlang distribution's tick time (net_ticktime), when not its 60 s: how soon the nodes notice a peer they can
    /// no longer reach (a partition, not a killed node, whose closed sockets tell at once). Shorter lets a partition
    /// of 30 s be seen, and the minority pause, within it.
    /// </param>
    public static async Task<RabbitMqCluster> StartAsync(int size = 3, TimeSpan? netTick = null)
    {
        var (run, assembly) = TestServers.RunAndAssembly();
        var id = Guid.NewGuid().ToString("N")[..8];
        var network = new NetworkBuilder()
            .WithName($"accountability-mq-{id}")
            .WithLabel(TestServers.TestLabel, "true").WithLabel(TestServers.RunLabel, run).WithLabel(TestServers.AssemblyLabel, assembly)
            .Build();
        // One cookie for every node (and their rabbitmqctl), read by the broker from its $HOME, mode 400.
        var cookie = Encoding.ASCII.GetBytes(Guid.NewGuid().ToString("N").ToUpperInvariant());
        var settings = Encoding.UTF8.GetBytes(
            """
            # Written by RabbitMqCluster: a node cut off from the majority pauses instead of serving a split brain,
            # as in deploy/k8s/base/rabbitmq.yaml.
            cluster_partition_handling = pause_minority
            """ + (netTick is { } tick ? $"\nnet_ticktime = {(int)tick.TotalSeconds}\n" : "\n"));

        var nodes = new List<Node>();
        for (var i = 1; i <= size; i++)
        {
            var hostname = $"rabbit-{i}";
            var (amqp, http) = (DockerCli.FreeLoopbackPort(), DockerCli.FreeLoopbackPort());
            var container = new RabbitMqBuilder(TestServers.RabbitMqImage)
                .WithUsername(User)
                .WithPassword(Password)
                .WithNetwork(network)
                .WithHostname(hostname)
                .WithNetworkAliases(hostname)
                .WithPortBinding(amqp, 5672)
                .WithPortBinding(http, 15672)
                .WithResourceMapping(cookie, "/var/lib/rabbitmq/.erlang.cookie", fileMode: UnixFileModes.UserRead)
                .WithResourceMapping(settings, "/etc/rabbitmq/conf.d/30-cluster.conf")
                .WithLabel(TestServers.TestLabel, "true").WithLabel(TestServers.RunLabel, run).WithLabel(TestServers.AssemblyLabel, assembly)
                .Build();
            nodes.Add(new Node($"rabbit@{hostname}", container, amqp, http));
        }

        var cluster = new RabbitMqCluster(network, nodes);
        try
        {
            await network.CreateAsync();
            // All at once (each mostly waits on Erlang's start), then the others join the first.
            await Task.WhenAll(nodes.Select(n => n.Container.StartAsync()));
            foreach (var node in nodes.Skip(1))
            {
                await cluster.CtlAsync(node, "stop_app");
                await cluster.CtlAsync(node, "join_cluster", nodes[0].Name);
                await cluster.CtlAsync(node, "start_app");
            }
            await Eventually.HoldsAsync(async () => (await cluster.RunningNodesAsync(nodes[0])).Count == size,
                $"all {size} nodes run in one cluster", TimeSpan.FromSeconds(60));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>The node names that <paramref name="askedNode"/>'s management API reports as running.</summary>
    public async Task<IReadOnlyList<string>> RunningNodesAsync(Node askedNode) =>
        [.. (await NodesAsSeenByAsync(askedNode)).Where(n => n.Running).Select(n => n.Name)];

    /// <summary>Every node as <paramref name="askedNode"/>'s management API reports it; empty when that node does not answer.</summary>
    public async Task<IReadOnlyList<NodeView>> NodesAsSeenByAsync(Node askedNode)
    {
        try
        {
            var all = await management.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{askedNode.ManagementPort}/api/nodes");
            var now = DateTimeOffset.UtcNow;
            return [.. all.EnumerateArray().Select(n => new NodeView(
                n.GetProperty("name").GetString()!,
                n.GetProperty("running").GetBoolean(),
                n.TryGetProperty("uptime", out var uptime) && uptime.ValueKind == JsonValueKind.Number ? now - TimeSpan.FromMilliseconds(uptime.GetInt64()) : null,
                n.TryGetProperty("partitions", out var partitions) && partitions.ValueKind == JsonValueKind.Array
                    ? [.. partitions.EnumerateArray().Select(p => p.GetString()!)] : []))];
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return [];
        }
    }

    /// <summary>The queues of <paramref name="virtualHost"/>, asked of the first node that answers.</summary>
    public async Task<IReadOnlyList<QueueView>> QueuesAsync(string virtualHost)
    {
        foreach (var asked in nodes)
        {
            try
            {
                var all = await management.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{asked.ManagementPort}/api/queues/{Uri.EscapeDataString(virtualHost)}");
                return [.. all.EnumerateArray().Select(q => new QueueView(
                    q.GetProperty("name").GetString()!,
                    q.TryGetProperty("leader", out var leader) ? leader.GetString() : q.TryGetProperty("node", out var node) ? node.GetString() : null,
                    q.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Number ? messages.GetInt64() : 0,
                    q.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("deliver_get", out var delivered) ? delivered.GetInt64() : 0))];
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
            {
                // That node does not answer: ask the next.
            }
        }
        return [];
    }

    /// <summary>The nodes that the clients' connections are open on, as <paramref name="askedNode"/> sees them.</summary>
    public async Task<IReadOnlyList<string>> ConnectionNodesAsync(Node askedNode)
    {
        var all = await management.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{askedNode.ManagementPort}/api/connections");
        return [.. all.EnumerateArray().Select(c => c.GetProperty("node").GetString()!)];
    }

    /// <summary>
    /// For a stalled test: as <paramref name="askedNode"/> sees it, the queue's leader and members, and every channel with
    /// its node, state and publishes not yet confirmed.
    /// </summary>
    public async Task<string> DescribeAsync(Node askedNode, string queue)
    {
        try
        {
            var info = await management.GetFromJsonAsync<JsonElement>(
                $"http://127.0.0.1:{askedNode.ManagementPort}/api/queues/%2F/{Uri.EscapeDataString(queue)}");
            var channels = await management.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{askedNode.ManagementPort}/api/channels");
            string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ToString() : "?";
            return $"queue {queue}: leader {Text(info, "leader")}, members {Text(info, "members")}, online {Text(info, "online")}, " +
                $"messages {Text(info, "messages")}; channels: " + string.Join("; ", channels.EnumerateArray().Select(c =>
                    $"{Text(c, "name")} on {Text(c, "node")} ({Text(c, "state")}, confirm {Text(c, "confirm")}, unconfirmed {Text(c, "messages_unconfirmed")})"));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return $"{askedNode.Name}'s management API did not answer: {exception.Message}";
        }
    }

    /// <summary>The node that leads a quorum queue of the default virtual host, asked of any node that answers.</summary>
    public async Task<Node> LeaderOfAsync(string queue) =>
        await TryLeaderOfAsync(queue) ?? throw new InvalidOperationException($"No node of the cluster names a leader for the queue '{queue}'.");

    /// <summary>As <see cref="LeaderOfAsync"/>, or null while no node answering names one of the cluster's nodes (just after a leader's loss).</summary>
    public async Task<Node?> TryLeaderOfAsync(string queue)
    {
        foreach (var asked in nodes)
        {
            try
            {
                var info = await management.GetFromJsonAsync<JsonElement>(
                    $"http://127.0.0.1:{asked.ManagementPort}/api/queues/%2F/{Uri.EscapeDataString(queue)}");
                var leader = info.TryGetProperty("leader", out var l) ? l.GetString() : info.GetProperty("node").GetString();
                if (nodes.SingleOrDefault(n => n.Name == leader) is { } found)
                    return found;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or KeyNotFoundException or InvalidOperationException)
            {
                // That node does not answer (or knows no leader yet): ask the next.
            }
        }
        return null;
    }

    /// <summary>SIGKILL of the node's container: no goodbye to its peers or its clients.</summary>
    public Task KillAsync(Node node) => DockerCli.RunAsync("kill", node.Container.Id);

    /// <summary>A clean stop of the node's container (TERM, as an orderly restart does): it leaves the cluster saying so.</summary>
    public Task StopAsync(Node node) => DockerCli.RunAsync("stop", "-t", "60", node.Container.Id);

    /// <summary>
    /// Cuts the node off the cluster's network: it stays up but reaches no peer and no client (its published ports went
    /// with the network), and nothing it had open gets a goodbye: a partition.
    /// </summary>
    public Task DisconnectAsync(Node node) => DockerCli.RunAsync("network", "disconnect", network.Name, node.Container.Id);

    /// <summary>Heals <see cref="DisconnectAsync"/>: the node is on the network again, under its own name.</summary>
    public Task ReconnectAsync(Node node) => DockerCli.RunAsync("network", "connect", "--alias", node.Hostname, network.Name, node.Container.Id);

    /// <summary>Starts a killed or stopped node again (same ports, same data), and waits until the cluster counts it running.</summary>
    public async Task RestartAsync(Node node)
    {
        await DockerCli.RunAsync("start", node.Container.Id);
        var others = nodes.Where(n => n != node).ToList();
        // Its own management API as well: a peer counts a node running once its Erlang node and Mnesia are back,
        // while RabbitMQ itself may still be booting (or hung booting); the node's API answers only once it runs.
        await Eventually.HoldsAsync(async () =>
        {
            if (!(await RunningNodesAsync(node)).Contains(node.Name))
                return false;
            foreach (var other in others)
                if ((await RunningNodesAsync(other)).Contains(node.Name))
                    return true;
            return false;
        }, $"{node.Name} runs in the cluster again", TimeSpan.FromSeconds(90));
    }

    private async Task CtlAsync(Node node, params string[] arguments)
    {
        var result = await node.Container.ExecAsync(["rabbitmqctl", .. arguments]);
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                $"rabbitmqctl {string.Join(' ', arguments)} on {node.Name} exited with {result.ExitCode}: {result.Stdout} {result.Stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        management.Dispose();
        foreach (var node in nodes)
        {
            try
            {
                await node.Container.DisposeAsync();
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
