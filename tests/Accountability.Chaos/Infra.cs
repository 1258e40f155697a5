using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Accountability.Chaos;

/// <summary>deploy/local/infra.sh for one profile (one PostgreSQL, one RabbitMQ node): start from empty, inject outages, stop.</summary>
public sealed partial class Infra(string script, string profile) : IChaosServers
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

    public string Describe() => $"infra.sh profile '{profile}': two broker restarts, a PostgreSQL stop and start, two instances of every service";

    /// <summary>The faults of `make chaos`, each at a share of the complaints accepted so far, so all of them fall inside the load.</summary>
    public async Task InjectFaultsAsync(FaultSchedule schedule)
    {
        async Task BrokerRestartAsync(double share, string label)
        {
            await schedule.AtAsync(share, label);
            var before = await BrokerStartedAtAsync();
            schedule.Note($"{label} (infra.sh broker-restart)");
            await RunAsync("broker-restart");
            schedule.Note($"{label} done");
            var after = await BrokerStartedAtAsync();
            schedule.Evidence.Record(label, after > before.AddSeconds(1), $"node started {before:HH:mm:ss}, then {after:HH:mm:ss}");
        }

        await BrokerRestartAsync(0.15, "RabbitMQ restart 1");

        await schedule.AtAsync(0.30, "PostgreSQL restart");
        var postgresBefore = await PostgresStartedAtAsync();
        schedule.Note("PostgreSQL stop (infra.sh pg-stop)");
        await RunAsync("pg-stop");
        var (refused, how) = await PostgresRefusesAsync();
        await Task.Delay(schedule.Options.Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(8));
        await RunAsync("pg-start");
        schedule.Note("PostgreSQL started again (infra.sh pg-start)");
        var postgresAfter = await PostgresStartedAtAsync();
        schedule.Evidence.Record("PostgreSQL restart", refused && postgresAfter > postgresBefore,
            $"while stopped a new connection {(refused ? "was refused: " : "")}{how}; postmaster started {postgresBefore:HH:mm:ss}, then {postgresAfter:HH:mm:ss}");

        await schedule.AtAsync(0.45, "two instances of every service");
        await schedule.Services.RunExtraInstancesAsync(schedule, TimeSpan.FromMinutes(3));

        await BrokerRestartAsync(0.60, "RabbitMQ restart 2");

        await schedule.AtAsync(0.80, "back to one instance of every service");
        schedule.Note("back to one instance of every service (TERM to the others)");
        await schedule.Services.StopExtraInstancesAsync();
    }

    /// <summary>When the RabbitMQ node started, from the management API's uptime: a restart must move it.</summary>
    public async Task<DateTimeOffset> BrokerStartedAtAsync()
    {
        using var management = TestSupport.IsolatedVirtualHost.ManagementClient(RabbitMqUri, Environment["RabbitMq__ManagementUri"]);
        management.Timeout = TimeSpan.FromSeconds(10);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var nodes = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(management, "api/nodes?columns=name,uptime");
                var uptime = nodes.EnumerateArray().First().GetProperty("uptime").GetInt64();
                return DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(uptime);
            }
            catch (Exception exception) when (attempt < 30 && exception is HttpRequestException or TaskCanceledException or InvalidOperationException or KeyNotFoundException)
            {
                await Task.Delay(1000); // the management plugin comes up a little after AMQP
            }
        }
    }

    /// <summary>When the PostgreSQL postmaster started: a restart must move it.</summary>
    public async Task<DateTimeOffset> PostgresStartedAtAsync()
    {
        // Unpooled: a pooled connection may be one the restart just terminated.
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(PostgresConnectionString) { Pooling = false, Timeout = 5 };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync();
                await using var command = new Npgsql.NpgsqlCommand("select pg_postmaster_start_time()", connection);
                return new DateTimeOffset(DateTime.SpecifyKind((DateTime)(await command.ExecuteScalarAsync())!, DateTimeKind.Utc));
            }
            catch (Exception exception) when (attempt < 30 && exception is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
            {
                await Task.Delay(1000); // still starting
            }
        }
    }

    /// <summary>Whether PostgreSQL refuses a new connection right now (it should, while stopped).</summary>
    public async Task<(bool Refused, string How)> PostgresRefusesAsync()
    {
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(PostgresConnectionString) { Timeout = 3, Pooling = false };
            await using var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            return (false, "a connection opened");
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return (true, exception.GetBaseException().Message);
        }
    }

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
