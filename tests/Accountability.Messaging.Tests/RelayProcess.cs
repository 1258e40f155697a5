using System.Diagnostics;
using Accountability.TestSupport;

namespace Accountability.Messaging.Tests;

/// <summary>The relay alone in its own OS process (tests/Accountability.Messaging.RelayHost), so it can be killed hard.</summary>
public sealed class RelayProcess : IDisposable
{
    private readonly Process process;

    private RelayProcess(Process process) => this.process = process;

    public static RelayProcess Start(string schema, int batchSize)
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
                ["RabbitMq__Uri"] = TestEnvironment.RabbitMqUri,
                ["Messaging__RelayBatchSize"] = batchSize.ToString(),
                ["Messaging__RelayPollInterval"] = "00:00:00.500",
            },
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new RelayProcess(process);
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
