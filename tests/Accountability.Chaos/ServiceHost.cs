using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Accountability.Chaos;

/// <summary>
/// One instance of a service as a real process from its Release output, on a fixed loopback port (so a
/// restarted instance is found where the others expect it), its output appended to a log file.
/// </summary>
public sealed class ServiceHost(string repository, string name, int instance, int port, IReadOnlyDictionary<string, string> settings, string logDirectory)
{
    private readonly Lock starting = new();
    private Process? process;

    public string Name => name;

    public int Instance => instance;

    public string Label => $"{name}#{instance}";

    public Uri BaseAddress { get; } = new($"http://127.0.0.1:{port}");

    public string LogFile => Path.Combine(logDirectory, $"{name.ToLowerInvariant()}-{instance}.log");

    /// <summary>Whether the harness wants it running; the supervisor restarts it when it is not.</summary>
    public bool Wanted { get; set; }

    public bool Running => process is { HasExited: false };

    public int Starts { get; private set; }

    /// <summary>
    /// Starts the process unless this instance's is running, and says whether it did. The supervisor and a phase of
    /// the run may ask at the same moment; two processes of one instance would fight over its port, and the one not
    /// tracked here would never be killed or stopped.
    /// </summary>
    public bool Start()
    {
        lock (starting)
        {
            if (Running)
                return false;
            StartProcess();
            return true;
        }
    }

    private void StartProcess()
    {
        var dll = Path.Combine(repository, "services", name, "bin", "Release", "net10.0", $"Accountability.{name}.dll");
        if (!File.Exists(dll))
            throw new ChaosException($"{dll} is missing: build first (make chaos does: dotnet build -c Release)");
        File.AppendAllText(LogFile, $"\n===== {DateTimeOffset.Now:O} chaos starts {Label} =====\n");
        // The shell only redirects the output; exec makes the pid the service's own, so kill -9 hits the service.
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = repository, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec dotnet \"$0\" >>\"$1\" 2>&1 </dev/null");
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(LogFile);
        foreach (var (key, value) in settings)
            start.Environment[key] = value;
        start.Environment["Urls"] = BaseAddress.ToString().TrimEnd('/');
        start.Environment["OTEL_SERVICE_NAME"] = $"accountability-{name.ToLowerInvariant()}";
        process?.Dispose();
        process = Process.Start(start) ?? throw new ChaosException($"cannot start {Label}");
        Starts++;
    }

    /// <summary>
    /// kill -9: no shutdown hooks, no flushing, exactly a crash. Waits for the end; the exit status proves
    /// how it ended (137 = 128 + SIGKILL), or is null if it did not end.
    /// </summary>
    public (bool Sent, int? ExitCode) Kill()
    {
        var target = process; // the supervisor may replace it meanwhile
        try
        {
            if (target is not { HasExited: false })
                return (false, null);
            target.Kill(entireProcessTree: false);
            return (true, target.WaitForExit(10_000) ? target.ExitCode : null);
        }
        catch (InvalidOperationException)
        {
            return (false, null); // it ended, or was stopped and disposed, before the signal: nothing was killed
        }
    }

    /// <summary>The last readiness answer, for a failure message: which check said no.</summary>
    public string LastReadiness { get; private set; } = "not asked yet";

    /// <summary>TERM, then KILL after 15 s, as deploy/local/services.sh stops a service.</summary>
    public async Task StopAsync()
    {
        Wanted = false;
        if (process is not { HasExited: false })
            return;
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            term?.WaitForExit();
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

    public async Task<bool> ReadyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(BaseAddress, "/health/ready"));
            var body = await response.Content.ReadAsStringAsync();
            LastReadiness = $"{(int)response.StatusCode} {(body.Length > 400 ? body[..400] : body)}";
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            LastReadiness = $"no answer: {exception.GetBaseException().Message}";
            return false;
        }
    }

    public string Tail(int lines = 30)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogFile).TakeLast(lines));
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

/// <summary>A failure of the harness itself (not a finding): ends the run with exit code 2.</summary>
public sealed class ChaosException(string message) : Exception(message);
