using System.Collections.Concurrent;
using System.Globalization;

namespace Accountability.Chaos;

/// <summary>
/// The five services, each with a first instance that always runs and others for the phase with two (or three)
/// of everything, on fixed ports. A supervisor restarts whatever is wanted and not running: the
/// instances the fault schedule kills, and any that die on their own (counted as crashes).
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    public static readonly string[] Names = ["Intake", "Assignment", "Escalation", "Notification", "Audit"];

    private readonly List<ServiceHost> hosts = [];
    private readonly ConcurrentDictionary<ServiceHost, bool> killedByChaos = new();
    private readonly ConcurrentQueue<string> crashes = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly HttpClient probe = new() { Timeout = TimeSpan.FromSeconds(5) };
    private Task? supervisor;

    private readonly int instances;

    /// <param name="instances">How many instances of each service run in the phase with several (2 for `make chaos`, 3 on the cluster).</param>
    public Cluster(string repository, IReadOnlyDictionary<string, string> common, string logDirectory, int instances = 2)
    {
        this.instances = instances;
        var ports = Names.ToDictionary(n => n, _ => Enumerable.Range(0, instances).Select(_ => ServiceHost.FreePort()).ToArray());
        var settings = new Dictionary<string, string>(common, StringComparer.Ordinal)
        {
            // The services find each other at the first instances, which always run.
            ["Escalation__AssignmentUrl"] = $"http://127.0.0.1:{ports["Assignment"][0]}",
            ["Intake__AssignmentUrl"] = $"http://127.0.0.1:{ports["Assignment"][0]}",
            ["Notification__PublicStatusUrl"] = $"http://127.0.0.1:{ports["Intake"][0]}/api/public/status/{{trackingCode}}",
            ["Notification__PublicBaseUrl"] = $"http://127.0.0.1:{ports["Notification"][0]}",
        };
        foreach (var name in Names)
            for (var instance = 1; instance <= instances; instance++)
                hosts.Add(new ServiceHost(repository, name, instance, ports[name][instance - 1], settings, logDirectory));
    }

    public IReadOnlyList<ServiceHost> Hosts => hosts;

    public IReadOnlyCollection<string> Crashes => crashes;

    public int Kills { get; private set; }

    /// <summary>True while extra instances start: the kill loop skips its turns.</summary>
    private volatile bool killsHeld;

    public ServiceHost First(string name) => hosts.Single(h => h.Name == name && h.Instance == 1);

    /// <summary>The instances of a service the harness wants running now (one, or all of them in the phase with several).</summary>
    public IReadOnlyList<ServiceHost> Wanted(string name) => [.. hosts.Where(h => h.Name == name && h.Wanted)];

    public async Task StartFirstInstancesAsync(TimeSpan timeout)
    {
        foreach (var host in hosts.Where(h => h.Instance == 1))
        {
            host.Wanted = true;
            host.Start();
        }
        await WaitReadyAsync(hosts.Where(h => h.Instance == 1), timeout);
        supervisor = SuperviseAsync(stopping.Token);
    }

    /// <summary>
    /// Starts the other instances of every service and waits until all of them answer ready at once (the kills go on
    /// meanwhile): noted, and confirmed or not in the evidence with the last readiness answer of each that was not.
    /// </summary>
    public async Task RunExtraInstancesAsync(FaultSchedule schedule, TimeSpan timeout)
    {
        var what = $"{NumberWord(instances)} instances of every service";
        schedule.Note($"{what}: starting the others (no kills until all are ready)");
        var extra = hosts.Where(h => h.Instance > 1).ToList();
        // The kills wait meanwhile: with a kill every few seconds and a start taking a minute on a loaded machine, some
        // instance would nearly always be restarting, and all of them serving at once, the fault's proof, would be luck.
        killsHeld = true;
        foreach (var host in extra)
        {
            host.Wanted = true;
            host.Start();
        }
        var notReady = new List<string>();
        try
        {
            await WaitReadyAsync(hosts, timeout);
        }
        catch (ChaosException)
        {
            foreach (var host in hosts)
                if (!await host.ReadyAsync(probe))
                    notReady.Add($"{host.Label} ({host.LastReadiness})");
        }
        finally
        {
            killsHeld = false;
        }
        schedule.Note(notReady.Count == 0 ? $"{what}: all ready" : $"{what}: not ready in {timeout.TotalMinutes:0} min: {string.Join("; ", notReady)}");
        schedule.Evidence.Record(what, notReady.Count == 0,
            notReady.Count == 0 ? $"all {instances} instances of all five answered ready at once" : $"not ready: {string.Join("; ", notReady)}");
    }

    public async Task StopExtraInstancesAsync()
    {
        foreach (var host in hosts.Where(h => h.Instance > 1))
            await host.StopAsync();
    }

    private static string NumberWord(int n) => n switch { 2 => "two", 3 => "three", _ => Number(n) };

    /// <summary>
    /// kill -9 of a random instance that is serving (answers ready); the supervisor brings it back. One
    /// still starting is spared: killed again and again while it boots, an instance may never join, and
    /// the run would not have tested two serving instances at all. Null when nothing was killed.
    /// </summary>
    public async Task<(string Victim, int? ExitCode)?> KillRandomServingAsync(Random random)
    {
        if (killsHeld)
            return null;
        var candidates = hosts.Where(h => h.Wanted && h.Running).OrderBy(_ => random.Next()).ToList();
        ServiceHost? victim = null;
        foreach (var candidate in candidates)
            if (await candidate.ReadyAsync(probe))
            {
                victim = candidate;
                break;
            }
        if (victim is null)
            return null; // nothing serving
        killedByChaos[victim] = true;
        var (sent, exitCode) = victim.Kill();
        if (!sent)
            return null; // the victim stopped first
        Kills++;
        return (victim.Label, exitCode);
    }

    public async Task WaitReadyAsync(IEnumerable<ServiceHost> which, TimeSpan timeout)
    {
        var pending = which.ToList();
        var deadline = DateTime.UtcNow + timeout;
        while (pending.Count > 0)
        {
            var still = new List<ServiceHost>();
            foreach (var host in pending)
                if (!await host.ReadyAsync(probe))
                    still.Add(host);
            pending = still;
            if (pending.Count == 0)
                return;
            if (DateTime.UtcNow > deadline)
                throw new ChaosException($"not ready after {timeout.TotalSeconds:0} s: {string.Join(", ", pending.Select(h => h.Label))}\n"
                    + string.Join("\n", pending.Select(h => $"--- {h.Label}: GET /health/ready said {h.LastReadiness}\n--- {h.LogFile} ---\n{h.Tail()}")));
            await Task.Delay(500);
        }
    }

    public Task WaitAllWantedReadyAsync(TimeSpan timeout) => WaitReadyAsync(hosts.Where(h => h.Wanted), timeout);

    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            // An instance never started yet is the starting phase's to start, not a crash.
            foreach (var host in hosts.Where(h => h.Wanted && !h.Running && h.Starts > 0))
            {
                if (!killedByChaos.TryRemove(host, out _))
                    crashes.Enqueue($"{DateTimeOffset.Now:HH:mm:ss} {host.Label} exited on its own (start #{host.Starts}); last lines of {host.LogFile}:\n{host.Tail(15)}");
                try
                {
                    host.Start(); // false when a phase started it meanwhile
                }
                catch (Exception exception) when (exception is ChaosException or System.ComponentModel.Win32Exception)
                {
                    crashes.Enqueue($"{host.Label} could not be restarted: {exception.Message}");
                }
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (supervisor is not null)
            await supervisor;
        foreach (var host in hosts)
            await host.StopAsync();
        probe.Dispose();
        stopping.Dispose();
    }

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
