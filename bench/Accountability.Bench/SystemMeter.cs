using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Accountability.Bench;

/// <summary>
/// What the whole system spent over a window of the run: CPU per process (the five services,
/// PostgreSQL with every backend, RabbitMQ with its helpers), messages through the broker, the
/// database connections each service held at most, and the statements that took the most time.
/// </summary>
public sealed class SystemMeter : IAsyncDisposable
{
    /// <summary>USER_HZ on Linux: /proc/&lt;pid&gt;/stat counts in 1/100 s.</summary>
    internal const double TicksPerSecond = 100;

    private readonly Infrastructure infra;
    private readonly IReadOnlyList<(string Name, int Pid)> services;
    private readonly Dictionary<string, int> peakConnections = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopSampling = new();
    private readonly List<PhaseEnd> phaseEnds = [];
    private Task? sampler;
    private Snapshot? before;
    private PostgresProcesses? postgresBefore;
    private readonly SampledCounters jitTicks;
    private readonly SampledCounters postgresWakeUps;

    public SystemMeter(Infrastructure infra, IEnumerable<(string Name, int Pid)> services)
    {
        this.infra = infra;
        this.services = [.. services];
        jitTicks = SampledCounters.TieredJitTicks([.. this.services.Select(s => s.Pid)]);
        postgresWakeUps = new SampledCounters(PostgresWakeUpsNow);
    }

    /// <summary>Starts the window: CPU and broker counters now, statement statistics reset, connections sampled from here on.</summary>
    public async Task StartAsync()
    {
        await ResetStatementsAsync(warn: true);
        // Let the warm-up's messages reach the broker's counters (collected every 5 s) before counting from here.
        await Task.Delay(BrokerStatisticsInterval);
        jitTicks.Start();
        postgresWakeUps.Start();
        before = await SnapshotAsync(settle: false);
        postgresBefore = PostgresProcessesNow();
        sampler = SampleConnectionsAsync(stopSampling.Token);
    }

    /// <summary>
    /// Marks the end of one phase inside the window, so the window's CPU can be split by phase: a complaint at a
    /// trickle (nothing to batch, background work shared by few) costs differently from one at the maximum.
    /// </summary>
    public void EndPhase(string phase, int complaints)
    {
        phaseEnds.Add(new PhaseEnd(phase, complaints, DateTimeOffset.UtcNow, CpuSecondsNow(), jitTicks.SoFar() / TicksPerSecond, postgresWakeUps.SoFar(),
            PostgresProcessesNow()));
    }

    /// <summary>Ends the window and returns what was spent per completed complaint.</summary>
    public async Task<SystemCost> StopAsync(int complaints)
    {
        var start = before ?? throw new InvalidOperationException("StartAsync first");
        var after = await SnapshotAsync(settle: true);
        await stopSampling.CancelAsync();
        if (sampler is not null)
            await sampler;
        await jitTicks.DisposeAsync();
        await postgresWakeUps.DisposeAsync();
        var cpu = after.CpuSeconds.ToDictionary(p => p.Key, p => p.Value - start.CpuSeconds.GetValueOrDefault(p.Key), StringComparer.Ordinal);
        var perComplaint = Math.Max(complaints, 1);
        var phases = new List<PhaseCost>();
        var (phaseStart, phaseCpu, phaseJit, phaseWakeUps, phasePostgres) = (start.At, start.CpuSeconds, 0.0, 0L, postgresBefore ?? PostgresProcesses.None);
        foreach (var end in phaseEnds)
        {
            phases.Add(new PhaseCost(end.Phase, end.Complaints, (end.At - phaseStart).TotalSeconds,
                end.CpuSeconds.ToDictionary(p => p.Key, p => (p.Value - phaseCpu.GetValueOrDefault(p.Key)) * 1000 / Math.Max(end.Complaints, 1), StringComparer.Ordinal),
                (end.JitSeconds - phaseJit) * 1000 / Math.Max(end.Complaints, 1),
                (end.PostgresWakeUps - phaseWakeUps) / (double)Math.Max(end.Complaints, 1),
                end.Postgres.SpentSince(phasePostgres).ToDictionary(p => p.Key, p => p.Value / TicksPerSecond * 1000 / Math.Max(end.Complaints, 1), StringComparer.Ordinal)));
            (phaseStart, phaseCpu, phaseJit, phaseWakeUps, phasePostgres) = (end.At, end.CpuSeconds, end.JitSeconds, end.PostgresWakeUps, end.Postgres);
        }
        return new SystemCost(
            complaints,
            (after.At - start.At).TotalSeconds,
            cpu.ToDictionary(p => p.Key, p => p.Value * 1000 / perComplaint, StringComparer.Ordinal),
            (after.Published - start.Published) / (double)perComplaint,
            (after.Delivered - start.Delivered) / (double)perComplaint,
            after.DeliveredByQueue.Select(q => (q.Key, Count: q.Value - start.DeliveredByQueue.GetValueOrDefault(q.Key))).Where(q => q.Count > 0)
                .ToDictionary(q => q.Key, q => q.Count / (double)perComplaint, StringComparer.Ordinal),
            after.Work.SpentSince(start.Work, start.DeliveredByQueue, after.DeliveredByQueue),
            new Dictionary<string, int>(peakConnections, StringComparer.Ordinal),
            await TopStatementsAsync("total_exec_time"),
            await TopStatementsAsync("calls"),
            (await StatementCallsByLoginAsync()).ToDictionary(p => p.Key, p => p.Value / (double)perComplaint, StringComparer.Ordinal),
            phases);
    }

    private async Task ResetStatementsAsync(bool warn)
    {
        await using var connection = new NpgsqlConnection(infra.PostgresConnectionString);
        await connection.OpenAsync();
        await using var reset = new NpgsqlCommand("select pg_stat_statements_reset()", connection);
        try
        {
            await reset.ExecuteNonQueryAsync();
        }
        catch (PostgresException exception)
        {
            // Without the extension there are no statements to show; said once, at the window's start.
            if (warn)
                BenchRun.Log($"pg_stat_statements is not available ({exception.MessageText}); the top statements will be missing");
        }
    }

    private static readonly TimeSpan BrokerStatisticsInterval = TimeSpan.FromSeconds(5.5);

    /// <summary>CPU now; the broker's counters after <paramref name="settle"/>'s wait, so the window's last messages are in them.</summary>
    private async Task<Snapshot> SnapshotAsync(bool settle)
    {
        var cpu = CpuSecondsNow();
        var at = DateTimeOffset.UtcNow;
        if (settle)
            await Task.Delay(BrokerStatisticsInterval);
        var (published, delivered, byQueue, work) = await BrokerCountersAsync();
        return new Snapshot(at, cpu, published, delivered, byQueue, work);
    }

    /// <summary>CPU seconds so far of each service, of PostgreSQL with its backends and of RabbitMQ with its helpers.</summary>
    private Dictionary<string, double> CpuSecondsNow()
    {
        var cpu = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, pid) in services)
            cpu[name.ToLowerInvariant()] = OwnSeconds(pid);
        cpu["postgresql"] = TreeSeconds(PostmasterPid);
        cpu["rabbitmq"] = TreeSeconds(PidFrom(Path.Combine(infra.StateDirectory, "rabbitmq", "rabbitmq.pid")));
        return cpu;
    }

    /// <summary>
    /// The CPU each process spent while <paramref name="work"/> ran, for how long it ran, and PostgreSQL's top statements by
    /// total time in it: for the burst, whose complaints are outside the measured window, so its drain's figures say whether
    /// the machine was busy or the stages waited, and what the database did meanwhile. The statements of the measured window
    /// are read before this resets them.
    /// </summary>
    public async Task<(T Result, SpentCpu Spent)> SpendingAsync<T>(Func<Task<T>> work)
    {
        await ResetStatementsAsync(warn: false);
        var (startedAt, before) = (DateTimeOffset.UtcNow, CpuSecondsNow());
        var result = await work();
        var (endedAt, after) = (DateTimeOffset.UtcNow, CpuSecondsNow());
        return (result, new SpentCpu((endedAt - startedAt).TotalSeconds,
            after.ToDictionary(p => p.Key, p => p.Value - before.GetValueOrDefault(p.Key), StringComparer.Ordinal),
            await TopStatementsAsync("total_exec_time")));
    }

    /// <summary>The whole system's CPU over <paramref name="duration"/> with no traffic, as a percentage of one core.</summary>
    public async Task<IReadOnlyDictionary<string, double>> IdleAsync(TimeSpan duration)
    {
        var start = await SnapshotAsync(settle: false);
        await Task.Delay(duration);
        var end = await SnapshotAsync(settle: false);
        var seconds = (end.At - start.At).TotalSeconds;
        return end.CpuSeconds.ToDictionary(p => p.Key, p => 100 * (p.Value - start.CpuSeconds.GetValueOrDefault(p.Key)) / seconds, StringComparer.Ordinal);
    }

    private async Task SampleConnectionsAsync(CancellationToken stop)
    {
        try
        {
            await using var connection = new NpgsqlConnection(infra.PostgresConnectionString);
            await connection.OpenAsync(stop);
            while (!stop.IsCancellationRequested)
            {
                await using (var command = new NpgsqlCommand(
                    // By application name (accountability-<schema>), which every commit sets; by login otherwise.
                    """
                    select coalesce(nullif(application_name, ''), usename), count(*)::int from pg_stat_activity
                    where datname = current_database() and usename is not null and pid <> pg_backend_pid() group by 1
                    """,
                    connection))
                await using (var reader = await command.ExecuteReaderAsync(stop))
                    while (await reader.ReadAsync(stop))
                    {
                        var name = ServiceOfLogin(reader.IsDBNull(0) ? "?" : reader.GetString(0));
                        peakConnections[name] = Math.Max(peakConnections.GetValueOrDefault(name), reader.GetInt32(1));
                    }
                // Once a second: the sampling is itself a statement, and its cost lands in the measured window.
                await Task.Delay(1000, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The ten statements with the most <paramref name="column"/> (total_exec_time or calls), and the service that ran each.</summary>
    private async Task<IReadOnlyList<TopStatement>> TopStatementsAsync(string column)
    {
        try
        {
            await using var connection = new NpgsqlConnection(infra.PostgresConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"""
                select regexp_replace(s.query, '\s+', ' ', 'g'), s.calls, s.total_exec_time, s.rows, coalesce(r.rolname, '?')
                from pg_stat_statements s left join pg_roles r on r.oid = s.userid
                where s.dbid = (select oid from pg_database where datname = current_database())
                order by s.{column} desc limit 10
                """, connection);
            await using var reader = await command.ExecuteReaderAsync();
            var top = new List<TopStatement>();
            while (await reader.ReadAsync())
                top.Add(new TopStatement(reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetInt64(3), ServiceOfLogin(reader.GetString(4))));
            return top;
        }
        catch (PostgresException)
        {
            return [];
        }
    }

    /// <summary>
    /// Every statement the database ran in the window, by the login that ran it (each service has its own;
    /// the bench's own polls, a few per second, are under the bench's login).
    /// </summary>
    private async Task<IReadOnlyDictionary<string, long>> StatementCallsByLoginAsync()
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            await using var connection = new NpgsqlConnection(infra.PostgresConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                select coalesce(r.rolname, '?'), sum(s.calls)::bigint
                from pg_stat_statements s left join pg_roles r on r.oid = s.userid
                where s.dbid = (select oid from pg_database where datname = current_database())
                group by 1
                """, connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var service = ServiceOfLogin(reader.GetString(0));
                calls[service] = calls.GetValueOrDefault(service) + reader.GetInt64(1);
            }
        }
        catch (PostgresException)
        {
        }
        return calls;
    }

    /// <summary>accountability_assignment is assignment; another login keeps its name.</summary>
    private static string ServiceOfLogin(string login) =>
        login.StartsWith("accountability_", StringComparison.Ordinal) || login.StartsWith("accountability-", StringComparison.Ordinal)
            ? login["accountability_".Length..] : login;

    /// <summary>
    /// The broker's publish and deliver counters, each queue's deliveries (which consumer gets how many messages a complaint),
    /// and the Erlang reductions of its queue, channel and connection processes (what the broker's work is spent on).
    /// </summary>
    private async Task<(long Published, long Delivered, IReadOnlyDictionary<string, long> DeliveredByQueue, BrokerReductions Work)> BrokerCountersAsync()
    {
        var amqp = infra.RabbitMqUri;
        var management = new Uri(infra.Environment.GetValueOrDefault("RabbitMq__ManagementUri") ?? $"http://{amqp.Host}:{amqp.Port + 1}/");
        using var http = new HttpClient { BaseAddress = management, Timeout = TimeSpan.FromSeconds(10) };
        var user = Uri.UnescapeDataString(amqp.UserInfo);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user)));
        using var overview = JsonDocument.Parse(await http.GetStringAsync("api/overview"));
        using var queues = JsonDocument.Parse(await http.GetStringAsync("api/queues?columns=name,message_stats.deliver_get,reductions"));
        using var channels = JsonDocument.Parse(await http.GetStringAsync("api/channels?columns=name,reductions"));
        using var connections = JsonDocument.Parse(await http.GetStringAsync("api/connections?columns=name,reductions"));
        var byQueue = queues.RootElement.EnumerateArray()
            .Select(q => (Name: q.GetProperty("name").GetString() ?? "", Delivered: q.TryGetProperty("message_stats", out var s) ? Count(s, "deliver_get") : 0))
            .ToDictionary(q => q.Name, q => q.Delivered, StringComparer.Ordinal);
        var work = new BrokerReductions(Reductions(queues), Reductions(channels), Reductions(connections));
        if (!overview.RootElement.TryGetProperty("message_stats", out var stats))
            return (0, 0, byQueue, work);
        return (Count(stats, "publish"), Count(stats, "deliver_get"), byQueue, work);

        static long Count(JsonElement stats, string name) => stats.TryGetProperty(name, out var value) ? value.GetInt64() : 0;

        static Dictionary<string, long> Reductions(JsonDocument processes) => processes.RootElement.EnumerateArray()
            .Select(p => (Name: p.GetProperty("name").GetString() ?? "", Reductions: Count(p, "reductions")))
            .GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Reductions), StringComparer.Ordinal);
    }

    /// <summary>
    /// The reductions (the Erlang VM's unit of work) of the broker's queue, channel and connection processes, by name, as the
    /// management plugin last collected them (every 5 s). The broker's CPU cannot be split by process from outside the VM;
    /// their reductions can, and show which queues and which clients its work is spent on.
    /// </summary>
    private sealed record BrokerReductions(
        IReadOnlyDictionary<string, long> Queues, IReadOnlyDictionary<string, long> Channels, IReadOnlyDictionary<string, long> Connections)
    {
        /// <summary>
        /// Since <paramref name="earlier"/>: each busy queue's share, and the channels' and connections' shares, of the reductions of all
        /// three kinds; and each queue's reductions per message it delivered. A channel or connection that closed meanwhile loses its count.
        /// </summary>
        public BrokerWork SpentSince(BrokerReductions earlier, IReadOnlyDictionary<string, long> deliveredBefore, IReadOnlyDictionary<string, long> deliveredAfter)
        {
            var queues = Since(Queues, earlier.Queues);
            var channels = Since(Channels, earlier.Channels).Values.Sum();
            var connections = Since(Connections, earlier.Connections).Values.Sum();
            var total = (double)Math.Max(1, queues.Values.Sum() + channels + connections);
            var shares = queues.Where(q => q.Value / total >= 0.005).ToDictionary(q => "queue " + q.Key, q => q.Value / total, StringComparer.Ordinal);
            shares["other queues"] = queues.Where(q => q.Value / total < 0.005).Sum(q => q.Value) / total;
            shares["channels"] = channels / total;
            shares["connections"] = connections / total;
            var perDelivery = queues
                .Select(q => (q.Key, Reductions: q.Value, Delivered: deliveredAfter.GetValueOrDefault(q.Key) - deliveredBefore.GetValueOrDefault(q.Key)))
                .Where(q => q.Delivered > 0)
                .ToDictionary(q => q.Key, q => q.Reductions / (double)q.Delivered, StringComparer.Ordinal);
            return new BrokerWork(shares, perDelivery);
        }

        /// <summary>Each process's reductions since <paramref name="earlier"/>; one whose count went back (started again) counts from zero.</summary>
        private static Dictionary<string, long> Since(IReadOnlyDictionary<string, long> now, IReadOnlyDictionary<string, long> earlier) =>
            now.ToDictionary(p => p.Key, p => earlier.TryGetValue(p.Key, out var before) && before <= p.Value ? p.Value - before : p.Value, StringComparer.Ordinal);
    }

    private static int PidFrom(string file) =>
        File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;

    /// <summary>user + system time of one process (all its threads).</summary>
    private static double OwnSeconds(int pid) => Stat(pid) is { } s ? (s.UTime + s.STime) / TicksPerSecond : 0;

    /// <summary>
    /// A process, its live descendants, and the children it has already reaped (cutime + cstime), so
    /// PostgreSQL backends that came and went inside the window still count.
    /// </summary>
    private static double TreeSeconds(int root)
    {
        if (root == 0 || Stat(root) is not { } rootStat)
            return 0;
        var ticks = rootStat.UTime + rootStat.STime + rootStat.CUTime + rootStat.CSTime;
        foreach (var pid in Descendants(root))
            if (Stat(pid) is { } child)
                ticks += child.UTime + child.STime;
        return ticks / TicksPerSecond;
    }

    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Stat(pid) is { } stat)
                parents[pid] = stat.ParentPid;
        return [.. parents.Keys.Where(pid => pid != root && DescendsFrom(pid, root, parents))];
    }

    /// <summary>
    /// How often each PostgreSQL process has gone to sleep and been woken again so far (voluntary context switches, by pid).
    /// A backend sleeps once for every round trip a client makes, and at a trickle each wake-up of a sleeping process costs
    /// more CPU than a short statement does (docs/bench.md, twenty-fourth round). Read once a second (<see cref="SampledCounters"/>):
    /// read only at a phase's ends, a backend that a pool closed in the phase took its count with it.
    /// </summary>
    private IEnumerable<(int Pid, int Tid, long Value)> PostgresWakeUpsNow()
    {
        var root = PostmasterPid;
        if (root == 0)
            yield break;
        foreach (var pid in Descendants(root).Append(root))
        {
            long? wakeUps = null;
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                        wakeUps = long.Parse(line.AsSpan("voluntary_ctxt_switches:".Length).Trim(), CultureInfo.InvariantCulture);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
            {
                // Ended meanwhile.
            }
            if (wakeUps is { } value)
                yield return (pid, 0, value);
        }
    }

    /// <summary>The postmaster's pid, read each time: 0 when PostgreSQL is not running.</summary>
    private int PostmasterPid => PidFrom(Path.Combine(infra.StateDirectory, "pg", "data", "postmaster.pid"));

    /// <summary>PostgreSQL's CPU ticks so far, by what each of its processes does (<see cref="PostgresProcesses"/>).</summary>
    private PostgresProcesses PostgresProcessesNow()
    {
        var root = PostmasterPid;
        if (root == 0 || Stat(root) is not { } postmaster)
            return PostgresProcesses.None;
        var living = new Dictionary<int, (string Role, long Ticks)>();
        foreach (var pid in Descendants(root))
            if (Stat(pid) is { } stat && PostgresRoleOf(pid) is { } role)
                living[pid] = (role, stat.UTime + stat.STime);
        return new PostgresProcesses(postmaster.UTime + postmaster.STime, postmaster.CUTime + postmaster.CSTime, living);
    }

    /// <summary>
    /// What a PostgreSQL process is, from the title it sets: a client backend's title starts with its login, database and
    /// client address ("postgres: accountability_intake accountability 127.0.0.1(51234) idle"), which names the service; an
    /// autovacuum worker's with "autovacuum worker"; anything else is the server's own background work. Null once it ended.
    /// </summary>
    private static string? PostgresRoleOf(int pid)
    {
        string title;
        try
        {
            title = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        const string prefix = "postgres: ";
        if (!title.StartsWith(prefix, StringComparison.Ordinal))
            return PostgresRoles.Background;
        var words = title[prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length >= 2 && words[0] == "autovacuum" && words[1] == "worker")
            return PostgresRoles.AutovacuumWorkers;
        return words.Length >= 3 && (words[2].Contains('(', StringComparison.Ordinal) || words[2] == "[local]")
            ? ServiceOfLogin(words[0])
            : PostgresRoles.Background;
    }

    private static bool DescendsFrom(int pid, int root, Dictionary<int, int> parents)
    {
        for (var hops = 0; hops < 16 && parents.TryGetValue(pid, out var parent); hops++)
        {
            if (parent == root)
                return true;
            pid = parent;
        }
        return false;
    }

    /// <summary>A thread's user and system CPU ticks so far, or null once it has ended.</summary>
    internal static long? CpuTicks(int pid, int tid) => Stat(pid, tid) is { } stat ? stat.UTime + stat.STime : null;

    private static ProcStat? Stat(int pid, int? tid = null)
    {
        try
        {
            var text = File.ReadAllText(tid is null ? $"/proc/{pid}/stat" : $"/proc/{pid}/task/{tid}/stat");
            // The command name may hold spaces and parentheses; the fields start after the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
            return new ProcStat((int)Field(4), Field(14), Field(15), Field(16), Field(17));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopSampling.CancelAsync();
        if (sampler is not null)
            await sampler;
        await jitTicks.DisposeAsync();
        await postgresWakeUps.DisposeAsync();
        stopSampling.Dispose();
    }

    private sealed record PhaseEnd(
        string Phase, int Complaints, DateTimeOffset At, IReadOnlyDictionary<string, double> CpuSeconds, double JitSeconds, long PostgresWakeUps,
        PostgresProcesses Postgres);

    /// <summary>PostgreSQL's processes that are not a service's backends, as the split by process names them.</summary>
    public static class PostgresRoles
    {
        public const string Background = "background";
        public const string AutovacuumWorkers = "autovacuum workers";
        public const string Ended = "ended meanwhile";
    }

    /// <summary>
    /// PostgreSQL's CPU ticks at one instant: the postmaster's own, what it has reaped from children that ended, and each
    /// living child's with its role. Between two instants the split adds up to the PostgreSQL figure of the window
    /// (<see cref="TreeSeconds"/>). A child that ended in between is counted as <see cref="PostgresRoles.Ended"/>, its share before the
    /// first instant taken off: at a trickle, mostly autovacuum workers, which live about a second each, so sampling at
    /// the ends alone never sees them (docs/bench.md, thirty-fifth round).
    /// </summary>
    private sealed record PostgresProcesses(long PostmasterTicks, long ReapedTicks, IReadOnlyDictionary<int, (string Role, long Ticks)> Living)
    {
        public static PostgresProcesses None { get; } = new(0, 0, new Dictionary<int, (string Role, long Ticks)>());

        public Dictionary<string, double> SpentSince(PostgresProcesses earlier)
        {
            var spent = new Dictionary<string, double>(StringComparer.Ordinal) { [PostgresRoles.Background] = PostmasterTicks - earlier.PostmasterTicks };
            foreach (var (pid, (role, ticks)) in Living)
                spent[role] = spent.GetValueOrDefault(role) + ticks
                    - (earlier.Living.TryGetValue(pid, out var before) && before.Role == role ? before.Ticks : 0);
            var endedEarlierShare = earlier.Living.Where(p => !Living.TryGetValue(p.Key, out var now) || now.Role != p.Value.Role).Sum(p => p.Value.Ticks);
            spent[PostgresRoles.Ended] = ReapedTicks - earlier.ReapedTicks - endedEarlierShare;
            return spent;
        }
    }

    private sealed record ProcStat(int ParentPid, long UTime, long STime, long CUTime, long CSTime);

    private sealed record Snapshot(
        DateTimeOffset At, IReadOnlyDictionary<string, double> CpuSeconds, long Published, long Delivered, IReadOnlyDictionary<string, long> DeliveredByQueue,
        BrokerReductions Work);
}

/// <summary>CPU seconds by process over a stretch of <see cref="Seconds"/>, and the database's dearest statements in it.</summary>
public sealed record SpentCpu(double Seconds, IReadOnlyDictionary<string, double> CpuSeconds, IReadOnlyList<TopStatement> TopStatements)
{
    /// <summary>Cores busy on average: near the machine's count, the stretch was bound by CPU; well below it, by waits.</summary>
    public double CoresBusy => Seconds > 0 ? CpuSeconds.Values.Sum() / Seconds : 0;

    public IReadOnlyDictionary<string, double> MsPerComplaint(int complaints) =>
        CpuSeconds.ToDictionary(p => p.Key, p => p.Value * 1000 / Math.Max(complaints, 1), StringComparer.Ordinal);
}

/// <summary>What the system spent per completed complaint over a window.</summary>
public sealed record SystemCost(
    int Complaints,
    double WindowSeconds,
    IReadOnlyDictionary<string, double> CpuMsPerComplaint,
    double PublishedPerComplaint,
    double DeliveredPerComplaint,
    IReadOnlyDictionary<string, double> DeliveredPerComplaintByQueue,
    BrokerWork BrokerWork,
    IReadOnlyDictionary<string, int> PeakConnections,
    IReadOnlyList<TopStatement> TopStatements,
    IReadOnlyList<TopStatement> MostCalledStatements,
    IReadOnlyDictionary<string, double> StatementsPerComplaintByLogin,
    IReadOnlyList<PhaseCost> Phases)
{
    public double StatementsPerComplaint => StatementsPerComplaintByLogin.Values.Sum();

    public double TotalCpuMsPerComplaint => CpuMsPerComplaint.Values.Sum();

    public double ServicesCpuMsPerComplaint =>
        CpuMsPerComplaint.Where(p => p.Key is not ("postgresql" or "rabbitmq")).Sum(p => p.Value);
}

/// <summary>
/// One phase's share of the window: its complaints, its seconds, its CPU per complaint by process, how much of the
/// services' CPU was the tiered JIT's background compiles (null where /proc has no threads to read), and how often
/// PostgreSQL's processes were woken per complaint (about one wake-up per client round trip), and PostgreSQL's CPU per complaint
/// by process: each service's backends, autovacuum workers, the background processes, and the processes that ended meanwhile.
/// </summary>
public sealed record PhaseCost(
    string Phase, int Complaints, double Seconds, IReadOnlyDictionary<string, double> CpuMsPerComplaint, double? TieredJitMsPerComplaint,
    double PostgresWakeUpsPerComplaint, IReadOnlyDictionary<string, double> PostgresqlCpuMsPerComplaintByProcess)
{
    public double TotalCpuMsPerComplaint => CpuMsPerComplaint.Values.Sum();
}

/// <summary>
/// Where the broker's work went in a window: each busy queue's, the channels' and the connections' share of their reductions (the
/// Erlang VM's unit of work, a proxy for CPU), and each queue's reductions per message it delivered.
/// </summary>
public sealed record BrokerWork(IReadOnlyDictionary<string, double> ShareByProcess, IReadOnlyDictionary<string, double> ReductionsPerDeliveryByQueue);

public sealed record TopStatement(string Query, long Calls, double TotalMs, long Rows, string Service);
