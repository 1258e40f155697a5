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
        Log($"{(options.Quick ? "quick" : "full")} run: {options.Complaints} complaints at {options.Rate}/s, a kill every {options.KillEvery.TotalSeconds:0.#} s, "
            + $"{options.FuzzRequests} fuzz requests (seed {options.FuzzSeed}), fault seed {options.Seed}, profile '{options.Profile}'");
        Infra infra;
        try
        {
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
            if (!infra.External)
                await infra.StartAsync();
            // TestSupport (IsolatedVirtualHost, TestDatabase) reads the same variables the services do,
            // with the servers named there (its default would be containers of its own).
            foreach (var (key, value) in infra.Environment)
                Environment.SetEnvironmentVariable(key, value);
            Environment.SetEnvironmentVariable("ACCOUNTABILITY_TEST_SERVERS", "local");
            var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
            var open311Key = $"chaos-open311-{Guid.NewGuid():N}";
            var logs = Path.Combine(infra.StateDirectory, "chaos-logs");
            Directory.CreateDirectory(logs);
            var common = CommonSettings(repository, infra, signingKey, open311Key);

            if (!options.SkipChaos)
                (verdict, exit) = await ChaosAsync(options, repository, infra, common, signingKey, logs);
            if (!options.SkipFuzz)
            {
                fuzz = await FuzzAsync(options, repository, infra, common, signingKey, open311Key, logs);
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
            await infra.StopAsync();
        }

        Console.WriteLine();
        Console.WriteLine($"===== chaos ({(options.Quick ? "quick" : "full")}), {clock.Elapsed.TotalMinutes:0.0} min =====");
        if (verdict is not null)
            Print(verdict);
        if (fuzz is not null)
            Console.Write(fuzz.Summary());
        Console.WriteLine(exit switch { 0 => "RESULT: pass", 1 => "RESULT: FAIL", _ => "RESULT: harness error" });
        return exit;
    }

    private static async Task<(Verdict, int)> ChaosAsync(ChaosOptions options, string repository, Infra infra, Dictionary<string, string> common, string signingKey, string logs)
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
        var connectionString = await OwnDatabaseAsync(infra.PostgresConnectionString, database);
        await using var vhost = await IsolatedVirtualHost.CreateAsync($"chaos-{run}");
        common["ConnectionStrings__Accountability"] = connectionString;
        common["RabbitMq__Uri"] = vhost.AmqpUri;
        try
        {
            return await ChaosInDatabaseAsync(options, repository, infra, common, signingKey, logs, smtp, run, connectionString);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await IsolatedDatabase.DropAsync(infra.PostgresConnectionString, database);
            }
            catch (NpgsqlException exception)
            {
                Log($"could not drop {database}: {exception.Message}");
            }
        }
    }

    private static async Task<(Verdict, int)> ChaosInDatabaseAsync(ChaosOptions options, string repository, Infra infra, Dictionary<string, string> common,
        string signingKey, string logs, SmtpTestServer smtp, string run, string connectionString)
    {
        await using var cluster = new Cluster(repository, common, logs);
        Log($"starting the five services (logs: {logs})");
        await cluster.StartFirstInstancesAsync(TimeSpan.FromMinutes(3));
        var auth = new AuthOptions { SigningKey = signingKey };
        var admin = LocalTokens.Issue(auth, "p-1005", [Roles.Admin], TimeSpan.FromHours(6));
        var clerk = LocalTokens.Issue(auth, "p-1007", [Roles.IntakeClerk], TimeSpan.FromHours(6));
        var reader = LocalTokens.Issue(auth, "p-1005", [Roles.Admin, Roles.Auditor, Roles.Dispatcher], TimeSpan.FromHours(6));
        await RepublishDirectoryAsync(cluster.First("Assignment").BaseAddress, Path.Combine(repository, "deploy", "org", "directory.json"), admin, connectionString);

        var load = new Load(cluster, clerk, run);
        using var stop = new CancellationTokenSource();
        var loadTask = load.RunAsync(options.Complaints, options.Rate, options.Concurrency, TimeSpan.FromMinutes(3), stop.Token);
        var faults = new List<string>();
        var evidence = new FaultEvidence();
        var killer = KillLoopAsync(cluster, options, loadTask, faults, evidence);
        await ScheduleAsync(options, infra, cluster, load, loadTask, faults, evidence);
        await loadTask;
        await killer;
        Log($"load done: {load.AcceptedCount} accepted, {load.Retries} retries, {load.GivenUp} given up; {cluster.Kills} kills");

        // Recovery: one instance of each, all ready; then the complaints given up on, once more.
        await cluster.StopSecondInstancesAsync();
        await cluster.WaitAllWantedReadyAsync(TimeSpan.FromMinutes(3));
        await load.RetryAbandonedAsync(CancellationToken.None);

        var accepted = load.AcceptedComplaints.ToList();
        var checker = new Checker(cluster, reader, connectionString, smtp);
        await checker.DrainAsync(accepted, options.Drain, Log);
        var verdict = await checker.CheckAsync(accepted, 8, Log);

        Console.WriteLine();
        Console.WriteLine("faults injected:");
        foreach (var fault in faults)
            Console.WriteLine("  " + fault);
        evidence.Print();
        Console.WriteLine($"load: {options.Complaints} offered, {accepted.Count} accepted (distinct cases {accepted.Select(a => a.CaseId).Distinct().Count()}), "
            + $"{load.Retries} retries with the same key, {load.GivenUp} given up at first, {load.Refusals.Count} refusals");
        foreach (var refusal in load.Refusals.Take(10))
            Console.WriteLine("  refusal: " + refusal);
        var stored = await StoredWithoutAnswerAsync(connectionString, run, accepted);
        Console.WriteLine($"complaints stored by intake without a 201 ever reaching the client (informative): {stored}");
        Console.WriteLine($"service processes that exited on their own and were restarted (informative): {cluster.Crashes.Count}");
        foreach (var crash in cluster.Crashes.Take(5))
            Console.WriteLine("  " + crash.Split('\n')[0]);
        var missing = options.Complaints - accepted.Count;
        if (missing > 0)
            verdict.Count(verdict.Lost, "never accepted (harness gave up)", $"{missing} complaints");
        if (evidence.Unconfirmed > 0)
            Console.WriteLine($"{evidence.Unconfirmed} fault(s) not confirmed: the run did not test all it claims, so it fails");
        return (verdict, verdict.Passed && missing == 0 && evidence.Unconfirmed == 0 ? 0 : 1);
    }

    /// <summary>kill -9 of a random instance every few seconds (jittered) until the load is done; the supervisor restarts each.</summary>
    private static async Task KillLoopAsync(Cluster cluster, ChaosOptions options, Task load, List<string> faults, FaultEvidence evidence)
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
            lock (faults)
                faults.Add($"{DateTimeOffset.Now:HH:mm:ss} kill -9 {victim}");
            // 137 = 128 + SIGKILL: the process really died of the kill, not of something else, and really died.
            evidence.Record($"kill -9 {victim}", exitCode == 137, exitCode is { } code ? $"exit status {code}" : "still running 10 s after SIGKILL");
        }
    }

    /// <summary>The scripted faults, each at a share of the complaints accepted so far, so all of them fall inside the load.</summary>
    private static async Task ScheduleAsync(ChaosOptions options, Infra infra, Cluster cluster, Load load, Task loadTask, List<string> faults, FaultEvidence evidence)
    {
        async Task At(double share)
        {
            while (load.AcceptedCount < options.Complaints * share && !loadTask.IsCompleted)
                await Task.Delay(200);
        }
        void Note(string what)
        {
            Log(what);
            lock (faults)
                faults.Add($"{DateTimeOffset.Now:HH:mm:ss} {what} (accepted so far: {load.AcceptedCount})");
        }

        async Task BrokerRestartAsync(string label)
        {
            var before = await infra.BrokerStartedAtAsync();
            Note($"{label} (infra.sh broker-restart)");
            await infra.BrokerRestartAsync();
            Note($"{label} done");
            var after = await infra.BrokerStartedAtAsync();
            evidence.Record(label, after > before.AddSeconds(1), $"node started {before:HH:mm:ss}, then {after:HH:mm:ss}");
        }

        await At(0.15);
        await BrokerRestartAsync("RabbitMQ restart 1");

        await At(0.30);
        var postgresBefore = await infra.PostgresStartedAtAsync();
        Note("PostgreSQL stop (infra.sh pg-stop)");
        await infra.PostgresStopAsync();
        var (refused, how) = await infra.PostgresRefusesAsync();
        await Task.Delay(options.Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(8));
        await infra.PostgresStartAsync();
        Note("PostgreSQL started again (infra.sh pg-start)");
        var postgresAfter = await infra.PostgresStartedAtAsync();
        evidence.Record("PostgreSQL restart", refused && postgresAfter > postgresBefore,
            $"while stopped a new connection {(refused ? "was refused: " : "")}{how}; postmaster started {postgresBefore:HH:mm:ss}, then {postgresAfter:HH:mm:ss}");

        await At(0.45);
        Note("two instances of every service: starting the second ones");
        var notReady = await cluster.StartSecondInstancesAsync(TimeSpan.FromMinutes(3));
        Note(notReady.Count == 0 ? "two instances of every service: all ready" : $"two instances of every service: not ready in 3 min: {string.Join("; ", notReady)}");
        evidence.Record("two instances of every service", notReady.Count == 0,
            notReady.Count == 0 ? "both instances of all five answered ready at once" : $"not ready: {string.Join("; ", notReady)}");

        await At(0.60);
        await BrokerRestartAsync("RabbitMQ restart 2");

        await At(0.80);
        Note("back to one instance of every service (TERM to the second ones)");
        await cluster.StopSecondInstancesAsync();
    }

    private static async Task<FuzzReport> FuzzAsync(ChaosOptions options, string repository, Infra infra, Dictionary<string, string> common, string signingKey, string open311Key, string logs)
    {
        var database = $"chaos_fuzz_{Guid.NewGuid():N}"[..24];
        Log($"fuzz: database {database} and a virtual host of its own, one intake and one assignment");
        var connectionString = await OwnDatabaseAsync(infra.PostgresConnectionString, database);
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
            await IsolatedDatabase.DropAsync(infra.PostgresConnectionString, database);
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
    private static Dictionary<string, string> CommonSettings(string repository, Infra infra, string signingKey, string open311Key) =>
        new(infra.Environment, StringComparer.Ordinal)
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
