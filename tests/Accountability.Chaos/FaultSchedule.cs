namespace Accountability.Chaos;

/// <summary>The servers a run works on, and the scripted faults it injects into them while the load runs.</summary>
public interface IChaosServers
{
    /// <summary>The settings the services (and TestSupport) read: connection strings, the broker, the state folder.</summary>
    IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>A login that may create the run's own database.</summary>
    string PostgresConnectionString { get; }

    /// <summary>Where the service logs go.</summary>
    string StateDirectory { get; }

    /// <summary>What the faults are, for the run's first line.</summary>
    string Describe();

    /// <summary>The faults, each at a share of the complaints accepted, each confirmed in <see cref="FaultSchedule.Evidence"/>.</summary>
    Task InjectFaultsAsync(FaultSchedule schedule);
}

/// <summary>
/// What a fault script needs while the load runs: the services, the load, when to strike (a share of the complaints
/// accepted so far, so that every fault falls inside the load), and where to note each fault and its proof.
/// </summary>
public sealed class FaultSchedule(ChaosOptions options, Cluster services, Load load, Task loadTask, string virtualHost)
{
    private readonly List<string> faults = [];

    public ChaosOptions Options => options;

    public Cluster Services => services;

    /// <summary>The run's RabbitMQ virtual host, where its queues are.</summary>
    public string VirtualHost => virtualHost;

    public FaultEvidence Evidence { get; } = new();

    public IReadOnlyList<string> Faults
    {
        get { lock (faults) return [.. faults]; }
    }

    /// <summary>Waits until that share of the complaints is accepted. A fault that would start after the load has ended is not a fault under load: it is recorded unconfirmed, and fails the run.</summary>
    public async Task AtAsync(double share, string nextFault)
    {
        while (load.AcceptedCount < options.Complaints * share && !loadTask.IsCompleted)
            await Task.Delay(200);
        if (loadTask.IsCompleted)
            Evidence.Record(nextFault, false, "the load had ended before this fault began: offer more complaints (--complaints) or a lower rate");
    }

    public void Note(string what)
    {
        ChaosRun.Log(what);
        lock (faults)
            faults.Add($"{DateTimeOffset.Now:HH:mm:ss} {what} (accepted so far: {load.AcceptedCount})");
    }

    /// <summary>A kill of a service instance, noted without the load count (there are many).</summary>
    public void NoteKill(string victim)
    {
        lock (faults)
            faults.Add($"{DateTimeOffset.Now:HH:mm:ss} kill -9 {victim}");
    }
}
