using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Bench;

/// <summary>One whole run: servers, baselines, services, load, replay, teardown, report.</summary>
public static class BenchRun
{
    public static async Task<int> RunAsync(BenchOptions options)
    {
        var repository = FindRepository();
        var started = DateTimeOffset.UtcNow;
        var loadBefore = LoadAverage();
        var total = Stopwatch.StartNew();
        Log($"{(options.Quick ? "quick" : "full")} run: {options.Cases} cases per phase, fixed rate {options.Rate}/s, {options.Concurrency} in flight at the maximum, {options.ReplayEvents:N0} replay events; profile '{options.Profile}'"
            + string.Concat(options.Settings.Select(s => $"; {s.Key}={s.Value}")));

        var infra = await Infrastructure.StartAsync(repository, options.Profile);
        var services = new List<ServiceHost>();
        await using var smtp = new SmtpSink();
        try
        {
            Log("baseline: RabbitMQ.Client publish with confirms + consume with acks");
            var rabbit = await Baselines.RabbitMqAsync(infra.RabbitMqUri, options.RabbitMessages);
            Log($"  {rabbit:N0} messages/s");
            Log("baseline: Npgsql, one transaction per case (case row + outbox row), 8 connections");
            var npgsql = await Baselines.NpgsqlAsync(infra.PostgresConnectionString, options.NpgsqlDuration);
            Log($"  {npgsql:N0} transactions/s");

            var auth = new AuthOptions { SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)) };
            var settings = ServiceSettings(repository, infra, auth.SigningKey!, smtp.Port);
            var logs = Path.Combine(infra.StateDirectory, "bench-logs");
            Directory.CreateDirectory(logs);
            Log($"starting the five services (logs: {logs})");
            var ports = ServiceHost.Names.ToDictionary(n => n, _ => ServiceHost.FreePort());
            // The services find each other where this run put them, not on the default ports of make up.
            settings["Escalation__AssignmentUrl"] = $"http://127.0.0.1:{ports["Assignment"]}";
            settings["Intake__AssignmentUrl"] = $"http://127.0.0.1:{ports["Assignment"]}";
            settings["Notification__PublicStatusUrl"] = $"http://127.0.0.1:{ports["Intake"]}/api/public/status/{{trackingCode}}";
            settings["Notification__PublicBaseUrl"] = $"http://127.0.0.1:{ports["Notification"]}";
            foreach (var name in ServiceHost.Names)
            {
                // --setting KEY=V applies to every service; --setting Audit:KEY=V only to that one.
                var own = new Dictionary<string, string>(settings, StringComparer.Ordinal);
                foreach (var (key, value) in options.Settings)
                {
                    var colon = key.IndexOf(':', StringComparison.Ordinal);
                    if (colon < 0)
                        own[key] = value;
                    else if (string.Equals(key[..colon], name, StringComparison.OrdinalIgnoreCase))
                        own[key[(colon + 1)..]] = value;
                }
                services.Add(ServiceHost.Start(repository, name, ports[name], own, logs));
            }
            using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
                foreach (var service in services)
                    await service.WaitUntilReadyAsync(probe, TimeSpan.FromSeconds(120));

            var directory = Path.Combine(repository, "deploy", "org", "directory.json");
            string Token(string role) => LocalTokens.Issue(auth, PersonWithRole(directory, role), [role], TimeSpan.FromHours(4));
            await RepublishDirectoryAsync(services.Single(s => s.Name == "Assignment").BaseAddress, directory, Token("admin"), infra.PostgresConnectionString);
            var intake = services.Single(s => s.Name == "Intake");
            var audit = services.Single(s => s.Name == "Audit");
            var load = new EndToEnd(intake.BaseAddress, Token("intake-clerk"), infra.PostgresConnectionString);
            var drain = options.Quick ? TimeSpan.FromSeconds(60) : TimeSpan.FromMinutes(10);

            Log("warm-up: a few complaints (not counted)");
            await load.MaximumAsync(options.Quick ? 10 : 30, 4, drain);
            Log($"end to end at a fixed rate: {options.Cases} complaints at {options.Rate}/s");
            var fixedRate = await load.FixedRateAsync(options.Cases, options.Rate, drain);
            Log($"  {fixedRate.CasesPerSecond:N1} cases/s, p50 {fixedRate.P50Ms:N0} ms, p99 {fixedRate.P99Ms:N0} ms, unfinished {fixedRate.Unfinished}");
            Log($"end to end at the maximum: {options.Cases} complaints, {options.Concurrency} in flight");
            var maximum = await load.MaximumAsync(options.Cases, options.Concurrency, drain);
            Log($"  {maximum.CasesPerSecond:N1} cases/s, p50 {maximum.P50Ms:N0} ms, p99 {maximum.P99Ms:N0} ms, unfinished {maximum.Unfinished}");
            var peaks = services.ToDictionary(s => s.Name, s => s.PeakWorkingSetBytes());

            Log($"replay: growing the audit trail to {options.ReplayEvents:N0} events");
            var generation = Stopwatch.StartNew();
            var generated = await Replay.GenerateAsync(infra.PostgresConnectionString, options.ReplayEvents, Log);
            var generateSeconds = generation.Elapsed.TotalSeconds;
            Log($"  {generated:N0} synthetic events in {generateSeconds:N1} s; verify, then rebuild");
            var replay = await Replay.MeasureAsync(audit.BaseAddress, Token("auditor"), Token("admin"), infra.PostgresConnectionString, generated, generateSeconds);
            var auditPeakAfterReplay = audit.PeakWorkingSetBytes();

            var report = new Report(options, started, total.Elapsed, loadBefore, LoadAverage(), rabbit, npgsql, fixedRate, maximum, peaks,
                auditPeakAfterReplay, replay, smtp.Messages);
            Console.WriteLine();
            Console.WriteLine(report.Table());
            var output = options.Output ?? Path.Combine(repository, "bench", "results", "latest.json");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output, report.Json().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            Log($"wrote {output}");
            var failed = fixedRate.Unfinished + maximum.Unfinished > 0 || !replay.Verified;
            return failed ? 1 : 0;
        }
        finally
        {
            if (options.Keep)
            {
                Log($"--keep: the services and servers keep running; stop the servers with deploy/local/infra.sh stop --profile {options.Profile}");
            }
            else
            {
                foreach (var service in services)
                    await service.DisposeAsync();
                await infra.StopAsync();
                Log($"stopped everything; {total.Elapsed.TotalSeconds:N0} s in all");
            }
        }
    }

    /// <summary>
    /// Assignment publishes the seed directory when it first starts, possibly before notification's
    /// queue exists, and then notification cannot address anybody ("No directory has reached this
    /// service yet"). Publishing the same directory again once everyone listens avoids that race.
    /// </summary>
    private static async Task RepublishDirectoryAsync(Uri assignment, string directoryFile, string adminToken, string connectionString)
    {
        using var http = new HttpClient { BaseAddress = assignment, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/directory")
        {
            Content = new StringContent(await File.ReadAllTextAsync(directoryFile), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminToken);
        request.Headers.Add("X-Change-Reason", "bench: publish once every service listens");
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new BenchException($"PUT /api/directory answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var clock = Stopwatch.StartNew();
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await using var command = new Npgsql.NpgsqlCommand("select count(*) from notification.directory_copy", connection);
            if ((long)(await command.ExecuteScalarAsync())! > 0)
                return;
            await Task.Delay(200);
        }
        throw new BenchException("the directory never reached the notification service");
    }

    /// <summary>Like deploy/local/services.sh, with settings for load: quieter logs, more delivery workers.</summary>
    private static Dictionary<string, string> ServiceSettings(string repository, Infrastructure infra, string signingKey, int smtpPort)
    {
        var settings = new Dictionary<string, string>(infra.Environment, StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Auth__SigningKey"] = signingKey,
            ["Privacy__ActiveKeyId"] = "bench",
            ["Privacy__Keys__bench"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Directory__SeedPath"] = Path.Combine(repository, "deploy", "org", "directory.json"),
            ["Notification__Smtp__Host"] = "127.0.0.1",
            ["Notification__Smtp__Port"] = smtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notification__Webhooks__SigningSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            // Information-level logs of every request and message cost CPU that the load needs.
            ["Logging__LogLevel__Default"] = "Warning",
            ["Notification__Delivery__Workers"] = "8",
        };
        return settings;
    }

    private static string PersonWithRole(string directoryPath, string role)
    {
        using var directory = JsonDocument.Parse(File.ReadAllText(directoryPath));
        foreach (var person in directory.RootElement.GetProperty("people").EnumerateArray())
            if (person.GetProperty("roles").EnumerateArray().Any(r => r.GetString() == role))
                return person.GetProperty("id").GetString()!;
        throw new BenchException($"nobody in {directoryPath} holds the role {role}");
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Accountability.sln")))
                return dir.FullName;
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Accountability.sln")))
                return dir.FullName;
        throw new BenchException("cannot find Accountability.sln above the program or the current folder");
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public static void Log(string message) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");
}
