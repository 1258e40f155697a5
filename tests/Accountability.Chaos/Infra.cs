using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Accountability.Chaos;

/// <summary>deploy/local/infra.sh for one profile: start from empty, inject outages, stop.</summary>
public sealed partial class Infra(string script, string profile)
{
    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    public string PostgresConnectionString => Environment["ConnectionStrings__Accountability"];

    public string RabbitMqUri => Environment["RabbitMq__Uri"];

    public string StateDirectory => Environment["ACCOUNTABILITY_STATE_DIR"];

    /// <summary>Refuses a profile whose servers run already (a make test in progress would lose them), then resets and starts it.</summary>
    public async Task StartAsync()
    {
        var status = await RunAsync("status", check: false);
        if (status.Output.Contains("running", StringComparison.Ordinal))
            throw new ChaosException($"the '{profile}' servers are already running (a make test or make bench in progress?). "
                + $"Wait for it, or stop them: {script} stop --profile {profile}");
        await RunAsync("reset");
        var start = await RunAsync("start");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match line in ExportLine().Matches(start.Output))
            environment[line.Groups[1].Value] = line.Groups[2].Value.Replace("'\\''", "'", StringComparison.Ordinal);
        if (!environment.ContainsKey("ConnectionStrings__Accountability") || !environment.ContainsKey("RabbitMq__Uri"))
            throw new ChaosException($"infra.sh start printed no connection settings:\n{start.Output}");
        Environment = environment;
    }

    /// <summary>Servers somebody else started: take their settings from this process's environment; never start or stop them.</summary>
    public bool External { get; private set; }

    public static Infra FromEnvironment()
    {
        var names = new[] { "ConnectionStrings__Accountability", "RabbitMq__Uri", "RabbitMq__ManagementUri", "ACCOUNTABILITY_INFRA", "ACCOUNTABILITY_PROFILE" };
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
            environment[name] = System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
                ? value
                : throw new ChaosException($"--use-env: {name} is not set");
        environment["ACCOUNTABILITY_STATE_DIR"] = Path.Combine(Path.GetTempPath(), "accountability-chaos");
        return new Infra(environment["ACCOUNTABILITY_INFRA"], environment["ACCOUNTABILITY_PROFILE"]) { Environment = environment, External = true };
    }

    public Task BrokerRestartAsync() => RunAsync("broker-restart");

    public Task PostgresStopAsync() => RunAsync("pg-stop");

    public Task PostgresStartAsync() => RunAsync("pg-start");

    public Task StopAsync() => External ? Task.CompletedTask : RunAsync("stop", check: false);

    private async Task<(int Code, string Output)> RunAsync(string command, bool check = true)
    {
        var start = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(command);
        start.ArgumentList.Add("--profile");
        start.ArgumentList.Add(profile);
        using var process = Process.Start(start) ?? throw new ChaosException($"cannot run {script}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var errors = await stderr;
        if (check && process.ExitCode != 0)
            throw new ChaosException($"infra.sh {command} --profile {profile} failed ({process.ExitCode}):\n{errors}");
        return (process.ExitCode, stdout);
    }

    [GeneratedRegex(@"^export ([A-Za-z_][A-Za-z0-9_]*)='(.*)'$", RegexOptions.Multiline)]
    private static partial Regex ExportLine();
}
