using System.Diagnostics;

namespace Accountability.TestSupport;

/// <summary>Drives the throwaway servers through deploy/local/infra.sh, for outage tests.</summary>
public static class Infrastructure
{
    /// <summary>Stops the RabbitMQ application (the node stays up): clients see the broker go away.</summary>
    public static Task StopBrokerAsync() => RunAsync("broker-stop");

    public static Task StartBrokerAsync() => RunAsync("broker-start");

    private static async Task RunAsync(string command)
    {
        var start = new ProcessStartInfo(TestEnvironment.InfraScript, [command, "--profile", TestEnvironment.Profile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"infra.sh {command} exited {process.ExitCode}: {await stderr}{await stdout}");
    }
}
