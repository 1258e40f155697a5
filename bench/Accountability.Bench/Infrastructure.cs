using System.Diagnostics;
using System.Text.RegularExpressions;
using Npgsql;

namespace Accountability.Bench;

/// <summary>The throwaway PostgreSQL and RabbitMQ of one deploy/local/infra.sh profile, started from empty.</summary>
public sealed partial class Infrastructure
{
    private readonly string script;
    private readonly string profile;

    private Infrastructure(string script, string profile, IReadOnlyDictionary<string, string> environment)
    {
        this.script = script;
        this.profile = profile;
        Environment = environment;
    }

    /// <summary>The export lines of infra.sh: ConnectionStrings__Accountability, RabbitMq__Uri, ...</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public string PostgresConnectionString => Environment["ConnectionStrings__Accountability"];

    public Uri RabbitMqUri => new(Environment["RabbitMq__Uri"]);

    public string StateDirectory => Environment["ACCOUNTABILITY_STATE_DIR"];

    /// <summary>Refuses a profile whose servers already run (a `make test` in progress would lose them), then resets and starts it.</summary>
    public static async Task<Infrastructure> StartAsync(string repository, string profile)
    {
        var script = Path.Combine(repository, "deploy", "local", "infra.sh");
        var status = await RunAsync(script, ["status", "--profile", profile], quiet: true);
        if (status.Output.Contains("running", StringComparison.Ordinal))
            throw new BenchException(
                $"the '{profile}' servers are already running (a make test in progress?). Wait for it, or stop them: {script} stop --profile {profile}");
        // Another checkout may run the same profile: its servers hold the same ports.
        var planned = await RunAsync(script, ["env", "--profile", profile], quiet: true);
        var port = Regex.Match(planned.Output, @"Port=(\d+)");
        if (port.Success && PortBusy(int.Parse(port.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            throw new BenchException(
                $"127.0.0.1:{port.Groups[1].Value}, the PostgreSQL port of profile '{profile}', is taken by another process (a make test in another checkout?). Wait for it to finish.");
        await RunAsync(script, ["reset", "--profile", profile], quiet: true);
        var start = await RunAsync(script, ["start", "--profile", profile], quiet: false);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match line in ExportLine().Matches(start.Output))
            environment[line.Groups[1].Value] = line.Groups[2].Value.Replace("'\\''", "'", StringComparison.Ordinal);
        if (!environment.ContainsKey("ConnectionStrings__Accountability") || !environment.ContainsKey("RabbitMq__Uri"))
            throw new BenchException($"infra.sh start printed no connection settings:\n{start.Output}");
        return new Infrastructure(script, profile, environment);
    }

    private static bool PortBusy(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Gives the planner statistics for every table as they are now, as a database that has run for a while has them. The
    /// services' prepared statements keep their plans until an ANALYZE of their tables, and the bench's tables start empty:
    /// run after the warm-up, the plans fit tables that hold complaints. Autovacuum renews them later at PostgreSQL's
    /// default cadence (deploy/local/infra.sh).
    /// </summary>
    public async Task AnalyzeAsync()
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var analyze = new NpgsqlCommand("analyze", connection) { CommandTimeout = 300 };
        await analyze.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Stops the servers, and forgets this process's pooled connections to them. make bench REF= starts the next
    /// servers on the same port with the same connection string: a pooled connection to the stopped server would be
    /// handed out again, and its first command would read the stopped server's 57P01 ("terminating connection due to
    /// administrator command") minutes later, in the other half of the run.
    /// </summary>
    public async Task StopAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await RunAsync(script, ["stop", "--profile", profile], quiet: true);
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    private static async Task<(int Code, string Output)> RunAsync(string script, string[] arguments, bool quiet)
    {
        var start = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new BenchException($"cannot run {script}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var errors = await stderr;
        if (process.ExitCode != 0 && arguments[0] != "status")
            throw new BenchException($"infra.sh {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{errors}");
        if (!quiet)
            Console.Error.Write(errors);
        return (process.ExitCode, stdout);
    }

    [GeneratedRegex(@"^export ([A-Za-z_][A-Za-z0-9_]*)='(.*)'$", RegexOptions.Multiline)]
    private static partial Regex ExportLine();
}

/// <summary>A failure that ends the run with a message (exit code 1).</summary>
public sealed class BenchException(string message) : Exception(message);
