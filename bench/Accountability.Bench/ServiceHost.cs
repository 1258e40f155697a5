using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Accountability.Bench;

/// <summary>One service as a real process from its Release output, as deploy/local/services.sh starts it; its log goes to a file.</summary>
public sealed class ServiceHost : IAsyncDisposable
{
    public static readonly string[] Names = ["Intake", "Assignment", "Escalation", "Notification", "Audit"];

    private readonly Process process;

    private ServiceHost(string name, Process process, Uri baseAddress, string logFile)
    {
        Name = name;
        this.process = process;
        BaseAddress = baseAddress;
        LogFile = logFile;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public string LogFile { get; }

    public int ProcessId => process.Id;

    /// <summary>
    /// Refuses to start services while other processes already point at this run's broker: services that an earlier run
    /// left behind (--keep), which reconnect to the fresh servers and take this run's messages with their own keys and
    /// SMTP port. The first sign of one is a run whose deliveries fail for no reason of its own.
    /// </summary>
    public static void RefuseLeftovers(string rabbitMqUri)
    {
        var wanted = "RabbitMq__Uri=" + rabbitMqUri;
        var leftovers = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(folder, "environ")).Split('\0').Contains(wanted, StringComparer.Ordinal))
                    leftovers.Add(pid);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or not ours to read
            }
        }
        if (leftovers.Count > 0)
            throw new BenchException(
                $"processes from an earlier run (a --keep run?) still use this profile's broker {rabbitMqUri}: pids {string.Join(" ", leftovers)}. "
                + $"They would take this run's messages. Stop them first: kill {string.Join(" ", leftovers)}");
    }

    /// <summary>
    /// How much a service yields the CPU when the machine is short of it, as deploy/local/services.sh's nice_of says: audit
    /// only records what already happened, so under a burst custody goes first and the trail follows.
    /// </summary>
    public static int NiceOf(string name) => name == "Audit" ? 10 : 0;

    public static ServiceHost Start(string repository, string name, int port, IReadOnlyDictionary<string, string> settings, string logDirectory)
    {
        var dll = Path.Combine(repository, "services", name, "bin", "Release", "net10.0", $"Accountability.{name}.dll");
        if (!File.Exists(dll))
            throw new BenchException($"{dll} is missing: build first (make bench does: dotnet build -c Release)");
        var logFile = Path.Combine(logDirectory, $"{name.ToLowerInvariant()}.log");
        // The shell only redirects the output to the log file; exec (nice's too) makes the pid the service's own.
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = repository, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec nice -n \"$2\" dotnet \"$0\" >>\"$1\" 2>&1 </dev/null");
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(logFile);
        start.ArgumentList.Add(NiceOf(name).ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (key, value) in settings)
            start.Environment[key] = value;
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        start.Environment["OTEL_SERVICE_NAME"] = $"accountability-{name.ToLowerInvariant()}";
        var process = Process.Start(start) ?? throw new BenchException($"cannot start {name}");
        return new ServiceHost(name, process, new Uri($"http://127.0.0.1:{port}"), logFile);
    }

    public async Task WaitUntilReadyAsync(HttpClient http, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
                throw new BenchException($"{Name} exited ({process.ExitCode}); its log: {LogFile}\n{Tail(LogFile)}");
            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or too busy starting to answer
            }
            await Task.Delay(250);
        }
        throw new BenchException($"{Name} not ready after {timeout.TotalSeconds:0} s; its log: {LogFile}\n{Tail(LogFile)}");
    }

    /// <summary>The peak resident set (VmHWM) of the process so far, in bytes.</summary>
    public long PeakWorkingSetBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // TERM first, as services.sh does, so the service shuts down cleanly.
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            try
            {
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        process.Dispose();
    }

    private static string Tail(string file)
    {
        try
        {
            return string.Join('\n', File.ReadLines(file).TakeLast(30));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
