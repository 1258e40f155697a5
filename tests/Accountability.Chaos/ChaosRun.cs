using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Accountability.Chaos.Fuzz;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Accountability.TestSupport.Smtp;
using Npgsql;

namespace Accountability.Chaos;

/// <summary>One whole run: servers, services, load under faults, the checker, the fuzz campaign, teardown.</summary>
public static class ChaosRun
{
    public static async Task<int> RunAsync(ChaosOptions options)
    {
        var repository = FindRepository();
        var clock = Stopwatch.StartNew();
        Log($"{Mode(options)} run: {options.Complaints} complaints at {options.Rate}/s, a kill every {options.KillEvery.TotalSeconds:0.#} s, "
            + (options.SkipFuzz ? "no fuzzing" : $"{options.FuzzRequests} fuzz requests (seed {options.FuzzSeed})") + $", fault seed {options.Seed}"
            + (options.Cluster ? ", on a cluster of containers" : $", profile '{options.Profile}'"));
        Infra? infra = null;
        ClusterServers? cluster = null;
        try
        {
            if (!options.Cluster)
                infra = options.UseEnvironment ? Infra.FromEnvironment() : new Infra(Path.Combine(repository, "deploy", "local", "infra.sh"), options.Profile);
        }
        catch (ChaosException exception)
        {
            Log(exception.Message);
            return 2;
        }
        Verdict? verdict = null;
        FuzzReport? fuzz = null;
        var exit = 2;
        try
        {
            IChaosServers servers;
            if (infra is not null)
            {
                if (!infra.External)
                    await infra.StartAsync();
                servers = infra;
            }
            else
                servers = cluster = await ClusterServers.StartAsync(Path.Combine(repository, ".state", "chaos-cluster"));
            Log(servers.Describe());
            // TestSupport (IsolatedVirtualHost, TestDatabase) reads the same variables the services do,
            // with the servers named there (its default would be containers of its own).
            foreach (var (key, value) in servers.Environment)
                Environment.SetEnvironmentVariable(key, value);
            Environment.SetEnvironmentVariable("ACCOUNTABILITY_TEST_SERVERS", "local");
            var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
            var open311Key = $"chaos-open311-{Guid.NewGuid():N}";
            var logs = Path.Combine(servers.StateDirectory, "chaos-logs");
            Directory.CreateDirectory(logs);
            var common = CommonSettings(repository, servers, signingKey, open311Key);

            if (!options.SkipChaos)
                (verdict, exit) = await ChaosAsync(options, repository, servers, common, signingKey, logs);
            if (!options.SkipFuzz)
            {
                fuzz = await FuzzAsync(options, repository, servers, common, signingKey, open311Key, logs);
                if (!fuzz.Holds)
                    exit = 1;
                else if (options.SkipChaos)
                    exit = 0;
            }
        }
        catch (Exception exception)
        {
            Log("harness failure: " + exception);
            exit = 2;
        }
        finally
        {
            Log("stopping the servers");
            if (infra is not null)
                await infra.StopAsync();
            if (cluster is not null)
                await cluster.DisposeAsync();
        }

        Console.WriteLine();
        Console.WriteLine($"===== chaos ({Mode(options)}), {clock.Elapsed.TotalMinutes:0.0} min =====");
        if (verdict is not null)
            Print(verdict);
        if (fuzz is not null)
            Console.Write(fuzz.Summary());
        Console.WriteLine(exit switch { 0 => "RESULT: pass", 1 => "RESULT: FAIL", _ => "RESULT: harness error" });
        return exit;
    }

    private static string Mode(ChaosOptions options) => (options.Quick ? "quick" : "full") + (options.Cluster ? ", cluster" : "");

    private static async Task<(Verdict, int)> ChaosAsync(ChaosOptions options, string repository, IChaosServers servers, Dictionary<string, string> common, string signingKey, string logs)
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        common = new Dictionary<string, string>(common)
        {
            ["Notification__Smtp__Host"] = smtp.Host,
            ["Notification__Smtp__Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The in-process test server speaks plain SMTP on loopback.
            ["Notification__Smtp__Security"] = "None",
        };
        var run = Guid.NewGuid().ToString("N")[..8];
        // A database and a virtual host of the run's own: nothing else on these servers can take its
        // messages or add rows to what it counts.
        var database = $"chaos_{run}";
        var connectionString = await OwnDatabaseAsync(servers.PostgresConnectionString, database);
        // Not `await using`: deleting the virtual host asks the management API, which a broker restart may have left down,
        // and that failure must not replace the run's own.
        var vhost = await IsolatedVirtualHost.CreateAsync($"chaos-{run}");
        common["ConnectionStrings__Accountability"] = connectionString;
        common["RabbitMq__Uri"] = vhost.AmqpUri;
        try
        {
            return await ChaosInDatabaseAsync(options, repository, servers, common, signingKey, logs, smtp, run, connectionString, vhost.Name);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await IsolatedDatabase.DropAsync(servers.PostgresConnectionString, database);
            }
            catch (NpgsqlException exception)
            {
                Log($"could not drop {database}: {exception.Message}");
            }
            try
            {
                await vhost.DisposeAsync();
            }
            catch (HttpRequestException exception)
            {
                Log($"could not delete the virtual host {vhost.Name}: {exception.Message}");
            }
        }
    }

    private static async Task<(Verdict, int)> ChaosInDatabaseAsync(ChaosOptions options, string repository, IChaosServers servers, Dictionary<string, string> common,
        string signingKey, string logs, SmtpTestServer smtp, string run, string connectionString, string virtualHost)
    {
        await using var cluster = new Cluster(repository, common, logs, instances: options.Cluster ? 3 : 2);
        Log($"starting the five services (logs: {logs})");
        await cluster.StartFirstInstancesAsync(TimeSpan.FromMinutes(3));
        var auth = new AuthOptions { SigningKey = signingKey };
        var admin = LocalTokens.Issue(auth, "p-1005", [Roles.Admin], TimeSpan.FromHours(6));
        var clerk = LocalTokens.Issue(auth, "p-1007", [Roles.IntakeClerk], TimeSpan.FromHours(6));
        var reader = LocalTokens.Issue(auth, "p-1005", [Roles.Admin, Roles.Auditor, Roles.Dispatcher], TimeSpan.FromHours(6));
        await RepublishDirectoryAsync(cluster.First("Assignment").BaseAddress, Path.Combine(repository, "deploy", "org", "directory.json"), admin, connectionString);

        var load = new Load(cluster, clerk, run);
        using var stop = new CancellationTokenSource();
        // The load outlasts the faults: a fault that begins after the load has ended proves nothing, and fails the run.
        var faultsDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loadTask = load.RunAsync(options.Complaints, options.Rate, options.Concurrency, TimeSpan.FromMinutes(3), faultsDone.Task, stop.Token);
        var schedule = new FaultSchedule(options, cluster, load, loadTask, virtualHost);
        var killer = KillLoopAsync(cluster, options, loadTask, schedule);
        try
        {
            await servers.InjectFaultsAsync(schedule);
        }
        finally
        {
            faultsDone.TrySetResult();
        }
        await loadTask;
        await killer;
        Log($"load done: {load.AcceptedCount} accepted, {load.Retries} retries, {load.GivenUp} given up; {cluster.Kills} kills");

        // Recovery: one instance of each, all ready; then the complaints given up on, once more.
        await cluster.StopExtraInstancesAsync();
        await cluster.WaitAllWantedReadyAsync(TimeSpan.FromMinutes(3));
        await load.RetryAbandonedAsync(CancellationToken.None);

        var accepted = load.AcceptedComplaints.ToList();
        var checker = new Checker(cluster, reader, connectionString, smtp);
        await checker.DrainAsync(accepted, options.Drain, Log);
        var verdict = await checker.CheckAsync(accepted, 8, Log);

        Console.WriteLine();
        Console.WriteLine("faults injected:");
        foreach (var fault in schedule.Faults)
            Console.WriteLine("  " + fault);
        schedule.Evidence.Print();
        Console.WriteLine($"load: {load.Offered} offered, {accepted.Count} accepted (distinct cases {accepted.Select(a => a.CaseId).Distinct().Count()}), "
            + $"{load.Retries} retries with the same key, {load.GivenUp} given up at first, {load.Refusals.Count} refusals");
        foreach (var refusal in load.Refusals.Take(10))
            Console.WriteLine("  refusal: " + refusal);
        var stored = await StoredWithoutAnswerAsync(connectionString, run, accepted);
        Console.WriteLine($"complaints stored by intake without a 201 ever reaching the client (informative): {stored}");
        Console.WriteLine($"service processes that exited on their own and were restarted (informative): {cluster.Crashes.Count}");
        foreach (var crash in cluster.Crashes.Take(5))
            Console.WriteLine("  " + crash.Split('\n')[0]);
        var missing = load.Offered - accepted.Count;
        if (missing > 0)
            verdict.Count(verdict.Lost, "never accepted (harness gave up)", $"{missing} complaints");
        if (schedule.Evidence.Unconfirmed > 0)
            Console.WriteLine($"{schedule.Evidence.Unconfirmed} fault(s) not confirmed: the run did not test all it claims, so it fails");
        return (verdict, verdict.Passed && missing == 0 && schedule.Evidence.Unconfirmed == 0 ? 0 : 1);
    }

    /// <summary>kill -9 of a random instance every few seconds (jittered) until the load is done; the supervisor restarts each.</summary>
    private static async Task KillLoopAsync(Cluster cluster, ChaosOptions options, Task load, FaultSchedule schedule)
    {
        var random = new Random(options.Seed);
        while (!load.IsCompleted)
        {
            var wait = options.KillEvery * (0.5 + random.NextDouble());
            await Task.WhenAny(load, Task.Delay(wait));
            if (load.IsCompleted)
                return;
            if (await cluster.KillRandomServingAsync(random) is not var (victim, exitCode))
                continue;
            schedule.NoteKill(victim);
            // 137 = 128 + SIGKILL: the process really died of the kill, not of something else, and really died.
            schedule.Evidence.RecordProcessKill(victim, exitCode == 137, exitCode is { } code ? $"exit status {code}" : "still running 10 s after SIGKILL");
        }
    }

    private static async Task<FuzzReport> FuzzAsync(ChaosOptions options, string repository, IChaosServers servers, Dictionary<string, string> common, string signingKey, string open311Key, string logs)
    {
        var database = $"chaos_fuzz_{Guid.NewGuid():N}"[..24];
        Log($"fuzz: database {database} and a virtual host of its own, one intake and one assignment");
        var connectionString = await OwnDatabaseAsync(servers.PostgresConnectionString, database);
        await using var vhost = await IsolatedVirtualHost.CreateAsync("chaos-fuzz");
        var settings = new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__Accountability"] = connectionString,
            ["RabbitMq__Uri"] = vhost.AmqpUri,
            // The fuzz is not the public: the per-address limits would answer 429 before any parsing.
            ["Intake__PublicFilingLimit__PermitLimit"] = "10000000",
            ["Intake__PublicStatusLimit__PermitLimit"] = "10000000",
        };
        var hosts = new[]
        {
            new ServiceHost(repository, "Intake", 9, ServiceHost.FreePort(), settings, logs),
            new ServiceHost(repository, "Assignment", 9, ServiceHost.FreePort(), settings, logs),
        };
        try
        {
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            foreach (var host in hosts)
            {
                host.Wanted = true;
                host.Start();
            }
            foreach (var host in hosts)
                if (!await FuzzCampaign.ReadyAsync(probe, host.BaseAddress, TimeSpan.FromMinutes(2)))
                    throw new ChaosException($"fuzz: {host.Label} not ready:\n{host.Tail()}");
            var context = await FuzzSetup.PrepareAsync(hosts[0].BaseAddress, hosts[1].BaseAddress, signingKey,
                Path.Combine(repository, "deploy", "org", "directory.json"), open311Key);
            Log($"fuzz: {context.Cases.Count} real cases, {context.PendingHandoffs.Count} pending handoff(s) to aim at; seed {options.FuzzSeed}");
            return await FuzzCampaign.RunAsync(new FuzzGenerator(options.FuzzSeed, context), options.FuzzRequests, 8,
                hosts[0].BaseAddress, hosts[1].BaseAddress, connectionString,
                () => [.. hosts.Where(h => !h.Running).Select(h => $"{h.Label} exited; last lines of {h.LogFile}:\n{h.Tail(20)}")], Log);
        }
        finally
        {
            foreach (var host in hosts)
                await host.StopAsync();
            NpgsqlConnection.ClearAllPools();
            await IsolatedDatabase.DropAsync(servers.PostgresConnectionString, database);
        }
    }

    /// <summary>A database of the run's own; on servers whose user may not create one (--use-env), the given database, shared.</summary>
    private static async Task<string> OwnDatabaseAsync(string connectionString, string database)
    {
        try
        {
            return await IsolatedDatabase.CreateAsync(connectionString, database);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            Log($"WARNING: may not create database {database} ({exception.MessageText}): using the given database, shared with whoever else "
                + "writes to it; its global counts may then include their rows");
            return connectionString;
        }
    }

    private static void Print(Verdict verdict)
    {
        Console.WriteLine();
        Console.WriteLine($"lost:        {verdict.LostTotal}   ({string.Join(", ", verdict.Lost.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))})");
        Console.WriteLine($"duplicated:  {verdict.DuplicatedTotal}   ({string.Join(", ", verdict.Duplicated.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))})");
        Console.WriteLine($"unowned:     {verdict.UnownedTotal}   ({string.Join(", ", verdict.Unowned.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))})");
        Console.WriteLine($"miscounted:  {verdict.MiscountedTotal}   ({string.Join(", ", verdict.Miscounted.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))})");
        Console.WriteLine($"audit trail: {(verdict.AuditVerified ? "verified" : "NOT VERIFIED")} ({verdict.AuditMessage})");
        Console.WriteLine($"receipts transmitted again as the same message after a crash (same Message-ID; informative): {verdict.ResentReceipts}");
        foreach (var example in verdict.Examples.Take(25))
            Console.WriteLine("  e.g. " + example);
    }

    private static async Task<long> StoredWithoutAnswerAsync(string connectionString, string run, IReadOnlyList<Accepted> accepted)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select count(*) from intake.complaints where narrative like @mine and not (case_id = any(@ids))", connection);
        command.Parameters.AddWithValue("mine", $"Chaos complaint {run}-%");
        command.Parameters.AddWithValue("ids", accepted.Select(a => a.CaseId).ToArray());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Like deploy/local/services.sh, with quieter logs (a long run writes a lot).</summary>
    private static Dictionary<string, string> CommonSettings(string repository, IChaosServers servers, string signingKey, string open311Key) =>
        new(servers.Environment, StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Auth__SigningKey"] = signingKey,
            ["Privacy__ActiveKeyId"] = "chaos",
            ["Privacy__Keys__chaos"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Directory__SeedPath"] = Path.Combine(repository, "deploy", "org", "directory.json"),
            ["Notification__Webhooks__SigningSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Notification__Delivery__PollInterval"] = "00:00:00.500",
            ["Notification__Delivery__InitialBackoff"] = "00:00:00.500",
            ["Notification__Delivery__MaxBackoff"] = "00:00:05",
            ["Open311__ApiKeys__0"] = open311Key,
            ["Logging__LogLevel__Default"] = "Warning",
        };

    /// <summary>
    /// Assignment publishes the seed directory at its first start, possibly before notification's queue
    /// exists; publishing it again once every service listens avoids that race (as make bench does).
    /// </summary>
    private static async Task RepublishDirectoryAsync(Uri assignment, string directoryFile, string adminToken, string connectionString)
    {
        using var http = new HttpClient { BaseAddress = assignment, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/directory")
        {
            Content = new StringContent(await File.ReadAllTextAsync(directoryFile), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        request.Headers.Add("X-Change-Reason", "chaos: publish once every service listens");
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new ChaosException($"PUT /api/directory answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var waited = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            await using var command = new NpgsqlCommand("select count(*) from notification.directory_copy", connection);
            if ((long)(await command.ExecuteScalarAsync())! > 0)
                return;
            await Task.Delay(200);
        }
        throw new ChaosException("the directory never reached the notification service");
    }

    private static string FindRepository()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Accountability.sln")))
                    return dir.FullName;
        throw new ChaosException("cannot find Accountability.sln above the program or the current folder");
    }

    public static void Log(string message) => Console.Error.WriteLine($"[chaos {DateTime.Now:HH:mm:ss}] {message}");
}
