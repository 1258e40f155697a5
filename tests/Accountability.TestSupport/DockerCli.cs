using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Accountability.TestSupport;

/// <summary>
/// What the clusters of containers (RabbitMqCluster, PostgresFailoverCluster) do beside Testcontainers: the docker
/// command line for a fault Testcontainers has no call for (SIGKILL of a container, starting it again with its
/// volumes, cutting it off its network), and a free loopback port for a fixed host port that survives the container's restart.
/// </summary>
public static class DockerCli
{
    private static readonly string Docker = File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

    /// <summary>Runs docker with these arguments and returns what it printed; throws with its output when it fails or takes over a minute.</summary>
    public static async Task<string> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Docker) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Docker} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stdout} {await stderr}");
        return (await stdout).Trim();
    }

    /// <summary>How a container's main process ended (137 = 128 + SIGKILL), once it has; null while it still runs.</summary>
    public static async Task<int?> ExitCodeAsync(string container)
    {
        var state = (await RunAsync("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", container)).Split(' ');
        return state[0] == "true" ? null : int.Parse(state[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A loopback port nothing listens on now.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
