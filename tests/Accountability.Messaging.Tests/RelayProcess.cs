using System.Collections.Concurrent;
using System.Diagnostics;
using Accountability.TestSupport;

namespace Accountability.Messaging.Tests;

/// <summary>
/// The relay alone in its own OS process (tests/Accountability.Messaging.RelayHost), so it can be killed hard, or
/// end itself as a service does when its watchdog gives up on a stuck bus.
/// </summary>
public sealed class RelayProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    private RelayProcess(Process process) => this.process = process;

    public static RelayProcess Start(string schema, int batchSize, string? rabbitMqUri = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        // Same configuration (Debug/Release) as this test assembly: bin/<Configuration>/net10.0/.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = RepositoryPaths.File("tests", "Accountability.Messaging.RelayHost", "bin", configuration, "net10.0",
            "Accountability.Messaging.RelayHost.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException("Build the solution first: the relay host is missing.", dll);

        var start = new ProcessStartInfo("dotnet", [dll, "--Relay:Schema", schema])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ConnectionStrings__Accountability"] = TestEnvironment.PostgresConnectionString,
                ["RabbitMq__Uri"] = rabbitMqUri ?? TestEnvironment.RabbitMqUri,
                ["Messaging__RelayBatchSize"] = batchSize.ToString(),
                ["Messaging__RelayPollInterval"] = "00:00:00.500",
            },
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            start.Environment[key.Replace(":", "__")] = value;
        var relay = new RelayProcess(Process.Start(start)!);
        relay.process.OutputDataReceived += (_, line) => relay.Keep(line.Data);
        relay.process.ErrorDataReceived += (_, line) => relay.Keep(line.Data);
        relay.process.BeginOutputReadLine();
        relay.process.BeginErrorReadLine();
        return relay;
    }

    /// <summary>Whether it has ended; once it has, everything it wrote has been read (its output reaches us a moment later).</summary>
    public bool HasExited => process.HasExitedWithOutputRead();

    public int ExitCode => process.ExitCode;

    /// <summary>The process's last lines of output, for a test's message.</summary>
    public string LastOutput => string.Join(Environment.NewLine, output);

    /// <summary>Whether one of its critical log entries (a watchdog's reason to exit) says <paramref name="text"/>.</summary>
    public bool LoggedCritical(string text) => critical.Any(line => line.Contains(text, StringComparison.Ordinal));

    private readonly ConcurrentQueue<string> critical = new();
    private bool inCriticalEntry;

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (critical) // standard output and standard error arrive on two threads
        {
            // The console logger writes "crit: <category>", then the message on the lines indented under it.
            inCriticalEntry = line.StartsWith("crit:", StringComparison.Ordinal) || (inCriticalEntry && line.StartsWith(' '));
            if (inCriticalEntry)
                critical.Enqueue(line);
            output.Enqueue(line);
        }
        while (output.Count > 200 && output.TryDequeue(out _))
        {
        }
    }

    /// <summary>kill -9: no shutdown hooks, no chance to finish the batch or mark anything.</summary>
    public void KillHard()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        KillHard();
        process.Dispose();
    }
}
