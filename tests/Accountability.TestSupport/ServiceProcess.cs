using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Accountability.TestSupport;

/// <summary>
/// One service as a real OS process, started from its build output exactly as `make up` starts it,
/// on a free loopback port, against the throwaway servers. Disposing it kills it.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    /// <summary>Marks processes started by this test run, so deploy/local/test.sh can reap any a crashed test host left behind.</summary>
    public static readonly string TestRunMarker = Environment.GetEnvironmentVariable("ACCOUNTABILITY_TEST_RUN") ?? "local";

    private readonly Process process;
    private readonly StringBuilder output = new();

    private ServiceProcess(string name, Process process, Uri baseAddress)
    {
        Name = name;
        this.process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>True once the process has exited and everything it printed has been read into <see cref="Output"/>.</summary>
    public bool HasExited => process.HasExitedWithOutputRead();

    /// <summary>Everything the process has written so far (its logs).</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>
    /// Starts a service with settings it must refuse, waits until it has exited (a cold start on a busy machine can take a
    /// while), and returns what it wrote, where the test looks for the setting it names.
    /// </summary>
    public static async Task<string> OutputOfRefusedStartAsync(string name, IDictionary<string, string> settings)
    {
        await using var process = await StartAsync(name, settings, waitUntilReady: false);
        await Eventually.HoldsAsync(() => process.HasExited, $"{name} refuses to start", TimeSpan.FromMinutes(2));
        return process.Output;
    }

    /// <summary>
    /// The off-path stages wait 500 ms for companions in a deployment, so at a few complaints a second several complaints
    /// share a transaction. Most tests file one complaint and wait for its mail, clocks and records, where that wait would
    /// only lengthen the suite; these are the values the suite was written with. The lingers' own tests
    /// (AppendLingerTests, GroupClockTests, DispatchLingerTests, GroupedInboxTests) set theirs; the console's journeys,
    /// make chaos and make bench run the services' defaults.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ShortLingers = new Dictionary<string, string>
    {
        ["Messaging__InboxGroupLinger"] = "00:00:00.050",
        ["Audit__AppendLinger"] = "00:00:00.100",
        ["Escalation__CaseEventsLinger"] = "00:00:00.100",
        ["Notification__Delivery__Linger"] = "00:00:00.100",
    };

    /// <summary>
    /// Starts a service (Intake, Assignment, Escalation, Notification or Audit) and waits until /health/ready says 200.
    /// On a free loopback port, or on <paramref name="port"/> when the address must be known before (an OpenID client's redirect URI).
    /// With <see cref="ShortLingers"/> unless <paramref name="shippedLingers"/> asks for the services' own.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(string name, IDictionary<string, string>? settings = null, bool waitUntilReady = true, int? port = null,
        bool shippedLingers = false)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        var dll = RepositoryPaths.File("services", name, "bin", configuration, "net10.0", $"Accountability.{name}.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"Build the solution first: {name} is missing.", dll);

        port ??= FreePort();
        var start = new ProcessStartInfo("dotnet", [dll, $"--TestRun={TestRunMarker}"])
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Testing",
                ["Urls"] = $"http://127.0.0.1:{port}",
                ["ConnectionStrings__Accountability"] = TestEnvironment.PostgresConnectionString,
                ["RabbitMq__Uri"] = TestEnvironment.RabbitMqUri,
                ["Auth__SigningKey"] = TestTokens.SigningKey,
                ["Directory__SeedPath"] = RepositoryPaths.File("deploy", "org", "directory.json"),
                ["Logging__Console__FormatterName"] = "simple",
                // A throwaway contact-encryption key: 32 bytes, base64.
                ["Privacy__ActiveKeyId"] = "test-key-1",
                ["Privacy__Keys__test-key-1"] = "dGVzdC1jb250YWN0LWtleS0zMi1ieXRlcy1sb25nISE=",
            },
        };
        if (!shippedLingers)
            foreach (var (key, value) in ShortLingers)
                start.Environment[key] = value;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            start.Environment[key] = value;

        var service = new ServiceProcess(name, Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
        if (waitUntilReady)
            await service.WaitUntilReadyAsync();
        return service;
    }

    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"{Name} exited with code {process.ExitCode}:\n{Output}");
                return await ReadyStatusAsync() == HttpStatusCode.OK;
            }, $"{Name} answers 200 on /health/ready", timeout ?? TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException($"{exception.Message}\n--- {Name} output ---\n{Output}", exception);
        }
    }

    public async Task<HttpStatusCode?> ReadyStatusAsync()
    {
        try
        {
            using var response = await Client.GetAsync("/health/ready");
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
    }

    /// <summary>Stops the service as an orchestrator does (SIGTERM), and waits until it has exited.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (process.HasExited)
            return;
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await term.WaitForExitAsync();
        await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(45));
    }

    /// <summary>Kills the service (SIGKILL, as a crash): it gets no chance to finish or give anything back.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await KillAsync();
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.AppendLine(line);
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
