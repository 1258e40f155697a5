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
            + (options.Ref is null ? "" : $"; compared with {options.Ref}")
            + string.Concat(options.Settings.Select(s => $"; {s.Key}={s.Value}")));

        await using var smtp = await SmtpSink.StartAsync();
        var auth = new AuthOptions { SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)) };
        Comparison? comparison = null;
        if (options.Ref is { } gitRef)
        {
            var worktree = await ReferenceBuild.PrepareAsync(repository, gitRef, options.Profile);
            var phasesOnly = options with { BurstSeconds = 0, HalfMaximumPhase = false };
            // Alternating, so that whatever the shared machine does meanwhile falls on both sides; and each side goes first in
            // turn, since the half that runs second measured dearer in most pairs of identical services (docs/bench.md,
            // thirty-fifth round). The last pair runs the reference first: this checkout's full run ends the invocation.
            var pairs = new List<(LoadResult Reference, LoadResult Checkout)>();
            for (var round = 1; round < options.Rounds; round++)
            {
                var checkoutFirst = Comparison.CheckoutRanFirst(round - 1, options.Rounds);
                var (firstName, secondName) = checkoutFirst ? ("this checkout", $"{gitRef} ({worktree.Commit[..10]})") : ($"{gitRef} ({worktree.Commit[..10]})", "this checkout");
                Log($"round {round} of {options.Rounds}: {firstName}, then {secondName}, each on fresh servers");
                var first = await LoadOnlyAsync(checkoutFirst ? repository : worktree.Path, phasesOnly, auth, smtp);
                var second = await LoadOnlyAsync(checkoutFirst ? worktree.Path : repository, phasesOnly, auth, smtp);
                pairs.Add(checkoutFirst ? (second, first) : (first, second));
            }
            Log($"the same load against {gitRef} ({worktree.Commit[..10]}), on fresh servers");
            comparison = new Comparison(gitRef, worktree.Commit, await LoadOnlyAsync(worktree.Path, phasesOnly, auth, smtp), pairs);
            Log($"now this checkout ({ReferenceBuild.HeadCommit(repository)[..10]}), on fresh servers");
        }

        var infra = await Infrastructure.StartAsync(repository, options.Profile);
        var services = new List<ServiceHost>();
        try
        {
            Log("baseline: RabbitMQ.Client publish with confirms + consume with acks");
            var rabbit = await Baselines.RabbitMqAsync(infra.RabbitMqUri, options.RabbitMessages);
            Log($"  {rabbit:N0} messages/s");
            Log("baseline: Npgsql, one transaction per case (case row + outbox row), 8 connections");
            var npgsql = await Baselines.NpgsqlAsync(infra.PostgresConnectionString, options.NpgsqlDuration);
            Log($"  {npgsql:N0} transactions/s");

            await StartServicesAsync(repository, infra, options, auth, smtp, services);
            var load = await MeasureLoadAsync(repository, services, infra, options, auth, smtp);
            var audit = services.Single(s => s.Name == "Audit");

            Log($"replay: growing the audit trail to {options.ReplayEvents:N0} events");
            var generation = Stopwatch.StartNew();
            var generated = await Replay.GenerateAsync(infra.PostgresConnectionString, options.ReplayEvents, Log);
            var generateSeconds = generation.Elapsed.TotalSeconds;
            Log($"  {generated:N0} synthetic events in {generateSeconds:N1} s; verify, then rebuild");
            var directory = Path.Combine(repository, "deploy", "org", "directory.json");
            var restWait = await Replay.WaitForRestAsync(infra.PostgresConnectionString, TimeSpan.FromMinutes(options.Quick ? 1 : 3), Log);
            var replay = await Replay.MeasureAsync(audit.BaseAddress, Token(auth, directory, "auditor"), Token(auth, directory, "admin"),
                infra.PostgresConnectionString, generated, generateSeconds) with { RestWaitSeconds = restWait };
            var auditPeakAfterReplay = audit.PeakWorkingSetBytes();

            var report = new Report(options, started, total.Elapsed, loadBefore, LoadAverage(), rabbit, npgsql, load.FixedRate, load.Maximum, load.Cost, load.PeakWorkingSet, load.IdleCpuPercent,
                auditPeakAfterReplay, replay, smtp.Messages, load.Smtp, comparison, load.Burst, load.HalfMaximum, load.BurstCpu);
            Console.WriteLine();
            Console.WriteLine(report.Table());
            var output = options.Output ?? Path.Combine(repository, "bench", "results", "latest.json");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output, report.Json().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            Log($"wrote {output}");
            var failed = load.FixedRate.Unfinished + load.Maximum.Unfinished + (load.HalfMaximum?.Unfinished ?? 0) > 0 || !replay.Verified
                || comparison is { Load: var r } && r.FixedRate.Unfinished + r.Maximum.Unfinished > 0;
            return failed ? 1 : 0;
        }
        finally
        {
            if (options.Keep)
            {
                Log($"--keep: the services and servers keep running; stop the services with kill {string.Join(" ", services.Select(s => s.ProcessId))}, "
                    + $"then the servers with deploy/local/infra.sh stop --profile {options.Profile}");
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

    /// <summary>The end-to-end phases alone against <paramref name="checkout"/>'s services, on servers of their own, stopped afterwards.</summary>
    private static async Task<LoadResult> LoadOnlyAsync(string checkout, BenchOptions options, AuthOptions auth, SmtpSink smtp)
    {
        var infra = await Infrastructure.StartAsync(FindRepository(), options.Profile);
        var services = new List<ServiceHost>();
        try
        {
            await StartServicesAsync(checkout, infra, options, auth, smtp, services);
            return await MeasureLoadAsync(checkout, services, infra, options, auth, smtp);
        }
        finally
        {
            foreach (var service in services)
                await service.DisposeAsync();
            await infra.StopAsync();
        }
    }

    /// <summary>
    /// Starts the five services from <paramref name="checkout"/>'s Release output with this run's settings and waits until
    /// they are ready. Each is added to <paramref name="services"/> as soon as it runs, so the caller stops it even when a
    /// later one fails to start.
    /// </summary>
    private static async Task StartServicesAsync(
        string checkout, Infrastructure infra, BenchOptions options, AuthOptions auth, SmtpSink smtp, List<ServiceHost> services)
    {
        var settings = ServiceSettings(checkout, infra, auth.SigningKey!, smtp.Port);
        var logs = Path.Combine(infra.StateDirectory, checkout == FindRepository() ? "bench-logs" : "bench-logs-ref");
        // One run's logs only: a service appends to its file.
        if (Directory.Exists(logs))
            Directory.Delete(logs, recursive: true);
        Directory.CreateDirectory(logs);
        ServiceHost.RefuseLeftovers(infra.Environment["RabbitMq__Uri"]);
        Log($"starting the five services of {checkout} (logs: {logs})");
        var ports = ServiceHost.Names.ToDictionary(n => n, _ => ServiceHost.FreePort());
        var separateLogins = ReadsOwnerLogin(checkout);
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
            // Each service logs in as its own user, as services.sh does, so the owner login only migrates.
            // A commit from before per-service logins (make bench REF=) reads one connection string, and migrates with it.
            if (separateLogins)
            {
                own["ConnectionStrings__AccountabilityOwner"] = infra.PostgresConnectionString;
                own["ConnectionStrings__Accountability"] = infra.PostgresConnectionString.Replace(
                    "Username=accountability;", $"Username=accountability_{name.ToLowerInvariant()};", StringComparison.Ordinal);
            }
            services.Add(ServiceHost.Start(checkout, name, ports[name], own, logs));
        }
        using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            foreach (var service in services)
                await service.WaitUntilReadyAsync(probe, TimeSpan.FromSeconds(120));
        var directory = Path.Combine(checkout, "deploy", "org", "directory.json");
        await RepublishDirectoryAsync(services.Single(s => s.Name == "Assignment").BaseAddress, directory, Token(auth, directory, "admin"), infra.PostgresConnectionString);
    }

    /// <summary>Whether the services of <paramref name="checkout"/> know the owner login (ConnectionStrings:AccountabilityOwner).</summary>
    private static bool ReadsOwnerLogin(string checkout)
    {
        var messaging = Path.Combine(checkout, "services", "Accountability.Messaging", "MessagingExtensions.cs");
        return File.Exists(messaging) && File.ReadAllText(messaging).Contains("\"AccountabilityOwner\"", StringComparison.Ordinal);
    }

    /// <summary>Warm-up, then the fixed-rate and maximum phases, with what the whole system spent on them.</summary>
    private static async Task<LoadResult> MeasureLoadAsync(
        string checkout, List<ServiceHost> services, Infrastructure infra, BenchOptions options, AuthOptions auth, SmtpSink smtp)
    {
        var directory = Path.Combine(checkout, "deploy", "org", "directory.json");
        var intake = services.Single(s => s.Name == "Intake");
        var load = new EndToEnd(intake.BaseAddress, Token(auth, directory, "intake-clerk"), infra.PostgresConnectionString);
        // Long enough for a slow commit (make bench REF=) to finish its cases on a loaded machine: the CPU window ends only when they are done.
        var drain = options.Quick ? TimeSpan.FromMinutes(4) : TimeSpan.FromMinutes(10);

        // Start-up is not what a complaint costs: warm up under load, then at the fixed rate until the JIT is done.
        Log("warm-up: complaints that are not counted");
        await load.MaximumAsync(options.Quick ? 60 : 200, 8, drain);
        await SettleTieredJitAsync(load, services, options, drain);
        var analyzing = Stopwatch.StartNew();
        await infra.AnalyzeAsync();
        Log($"  analyzed every table after the warm-up, in {analyzing.Elapsed.TotalSeconds:N1} s");
        await using var meter = new SystemMeter(infra, services.Select(s => (s.Name, s.ProcessId)));
        await meter.StartAsync();
        var (mailsBefore, connectionsBefore) = (smtp.Messages, smtp.Sessions);
        Log($"end to end at a fixed rate: {options.Cases} complaints at {options.Rate}/s");
        var fixedRate = await load.FixedRateAsync(options.Cases, options.Rate, drain);
        meter.EndPhase("fixedRate", fixedRate.Accepted);
        Log($"  {fixedRate.CasesPerSecond:N1} cases/s, p50 {fixedRate.P50Ms:N0} ms, p99 {fixedRate.P99Ms:N0} ms, unfinished {fixedRate.Unfinished}");
        Log($"end to end at the maximum: {options.Cases} complaints, {options.Concurrency} in flight");
        var maximum = await load.MaximumAsync(options.Cases, options.Concurrency, drain);
        meter.EndPhase("maximum", maximum.Accepted);
        Log($"  {maximum.CasesPerSecond:N1} cases/s, p50 {maximum.P50Ms:N0} ms, p99 {maximum.P99Ms:N0} ms, unfinished {maximum.Unfinished}");
        var cost = await meter.StopAsync(fixedRate.Accepted + maximum.Accepted);
        var relayUse = new SmtpUse(smtp.Messages - mailsBefore, smtp.Sessions - connectionsBefore);
        Log($"  CPU per complaint {cost.TotalCpuMsPerComplaint:N1} ms: " + string.Join(", ", cost.CpuMsPerComplaint.Select(p => $"{p.Key} {p.Value:N1}")));
        foreach (var phase in cost.Phases)
            Log($"    {phase.Phase}: {phase.TotalCpuMsPerComplaint:N1} ms over {phase.Seconds:N0} s: " + string.Join(", ", phase.CpuMsPerComplaint.Select(p => $"{p.Key} {p.Value:N1}"))
                + (phase.TieredJitMsPerComplaint is { } jit ? $"; of the services', the tiered JIT {jit:N1}" : "")
                + $"; PostgreSQL woken {phase.PostgresWakeUpsPerComplaint:N1} times a complaint"
                + $"\n      PostgreSQL by process: {Report.PostgresByProcess(phase)}");
        Log($"  RabbitMQ's work by process (reductions, both phases): {Report.BrokerByProcess(cost.BrokerWork)}");
        Log($"  SMTP: {relayUse.Mails:N0} mails over {relayUse.Connections:N0} connections");
        var peaks = services.ToDictionary(s => s.Name, s => s.PeakWorkingSetBytes());
        // Idle as `make up` is idle: after the phases' last deliveries, retries and checkpoints are done, not during their tail.
        var settle = options.Quick ? TimeSpan.FromSeconds(15) : TimeSpan.FromSeconds(30);
        var quiet = options.Quick ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(60);
        Log($"idle: {settle.TotalSeconds:N0} s to settle, then {quiet.TotalSeconds:N0} s with no traffic");
        await Task.Delay(settle);
        var idle = await meter.IdleAsync(quiet);
        Log($"  {idle.Values.Sum():N1}% of one core: " + string.Join(", ", idle.Select(p => $"{p.Key} {p.Value:N1}%")));
        // Issue 18's latency target: receipt -> owned at a fixed rate of half the maximum just measured. Outside the CPU window,
        // after the idle minute (so nothing is left over from the maximum) and before the burst (so nothing is queued).
        PhaseResult? halfMaximum = null;
        if (options.HalfMaximumPhase)
        {
            var halfRate = Math.Max(0.5, maximum.CasesPerSecond / 2);
            Log($"end to end at half the maximum: {options.Cases} complaints at {halfRate:N1}/s");
            halfMaximum = await load.FixedRateAsync(options.Cases, halfRate, drain, $"half the maximum, {halfRate:0.#}/s");
            Log($"  {halfMaximum.CasesPerSecond:N1} cases/s, receipt -> owned p50 {halfMaximum.P50Ms:N0} ms, p99 {halfMaximum.P99Ms:N0} ms, unfinished {halfMaximum.Unfinished}");
        }
        // A department's worst day: four times the measured maximum, open loop, then the drain. Outside the CPU window.
        PhaseResult? burst = null;
        SpentCpu? burstCpu = null;
        if (options.BurstSeconds > 0)
        {
            var burstRate = Math.Max(1, 4 * maximum.CasesPerSecond);
            var burstCases = (int)Math.Ceiling(burstRate * options.BurstSeconds);
            Log($"burst: {burstCases} complaints at {burstRate:N1}/s (4x the maximum) for {options.BurstSeconds} s, then the drain");
            (burst, burstCpu) = await meter.SpendingAsync(() => load.FixedRateAsync(burstCases, burstRate, drain));
            Log($"  accepted {burst.Accepted}/{burst.Offered}, drained {burst.DrainSeconds:N0} s after the last POST, unfinished {burst.Unfinished}; "
                + $"stages routed {burst.RoutedPerSecond:N1} / notified {burst.NotifiedPerSecond:N1} / audited {burst.AuditedPerSecond:N1} / clocked {burst.ClockedPerSecond?.ToString("N1") ?? "n/a"} cases/s; "
                + $"first done: {burst.FirstStageDone}");
            Log($"  CPU through the burst and its drain: {burstCpu.CoresBusy:N2} cores busy over {burstCpu.Seconds:N0} s; a complaint "
                + string.Join(", ", burstCpu.MsPerComplaint(burst.Accepted).OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N1}")) + " ms");
        }
        return new LoadResult(fixedRate, maximum, cost, peaks, idle, burst, halfMaximum, relayUse, burstCpu);
    }

    /// <summary>What the tiered JIT may still spend, in percent of one core, in a slice of the fixed rate that counts as settled.</summary>
    private const double SettledJitPercentOfOneCore = 0.25;

    /// <summary>
    /// The warm-up under load promotes the code that runs there, but code that runs once a complaint is promoted only after
    /// 30 calls, so at a trickle the tiered JIT went on compiling through the measured phase (3 to 5 ms a complaint at 5/s in
    /// the thirty-second round, docs/bench.md). Ten-second slices at the fixed rate, not counted, until one costs the JIT no
    /// more than <see cref="SettledJitPercentOfOneCore"/>, or the cap: then the window opens on services that run as they
    /// would after their first minutes.
    /// </summary>
    private static async Task SettleTieredJitAsync(EndToEnd load, List<ServiceHost> services, BenchOptions options, TimeSpan drain)
    {
        var slice = TimeSpan.FromSeconds(10);
        var most = options.Quick ? 4 : 12;
        var cases = (int)Math.Ceiling(options.Rate * slice.TotalSeconds);
        await using var jitTicks = SampledCounters.TieredJitTicks([.. services.Select(s => s.ProcessId)]);
        jitTicks.Start();
        var (spentBefore, shares) = (0.0, new List<double>());
        var clock = Stopwatch.StartNew();
        for (var round = 1; round <= most; round++)
        {
            var sliceClock = Stopwatch.StartNew();
            await load.FixedRateAsync(cases, options.Rate, drain, "warm-up at the fixed rate");
            var spent = jitTicks.SoFar() / SystemMeter.TicksPerSecond;
            shares.Add((spent - spentBefore) / sliceClock.Elapsed.TotalSeconds * 100);
            spentBefore = spent;
            if (shares[^1] <= SettledJitPercentOfOneCore)
                break;
        }
        var settled = shares[^1] <= SettledJitPercentOfOneCore;
        Log($"  warm-up at {options.Rate:0.#}/s: the tiered JIT took {string.Join(", ", shares.Select(p => $"{p:N2}%"))} of one core a slice; "
            + (settled ? $"settled after {clock.Elapsed.TotalSeconds:N0} s" : $"still compiling after {clock.Elapsed.TotalSeconds:N0} s, the cap"));
    }

    private static string Token(AuthOptions auth, string directory, string role) =>
        LocalTokens.Issue(auth, PersonWithRole(directory, role), [role], TimeSpan.FromHours(4));

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

    /// <summary>Like deploy/local/services.sh, with settings for load: quieter logs, more sends in flight.</summary>
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
            // The bench's sink speaks plain SMTP on loopback.
            ["Notification__Smtp__Security"] = "None",
            ["Notification__Webhooks__SigningSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            // Information-level logs of every request and message cost CPU that the load needs.
            ["Logging__LogLevel__Default"] = "Warning",
            // Sends in flight bound the notified stage under load: 8 claims of up to 16 (the defaults, 2 of 4, suit a trickle).
            ["Notification__Delivery__Workers"] = "8",
            ["Notification__Delivery__BatchSize"] = "16",
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

/// <summary>The end-to-end phases of one set of services and what the system spent on them.</summary>
public sealed record LoadResult(
    PhaseResult FixedRate, PhaseResult Maximum, SystemCost Cost, IReadOnlyDictionary<string, long> PeakWorkingSet, IReadOnlyDictionary<string, double> IdleCpuPercent,
    PhaseResult? Burst, PhaseResult? HalfMaximum, SmtpUse Smtp, SpentCpu? BurstCpu);

/// <summary>
/// What the bench's SMTP sink accepted while the two measured phases ran: the mails, and the connections they came over. A
/// connection per mail or two means notification reconnects (connect, greeting, EHLO; STARTTLS and AUTH at a real relay).
/// </summary>
public sealed record SmtpUse(long Mails, long Connections)
{
    public double MailsPerConnection => Connections == 0 ? Mails : (double)Mails / Connections;
}

/// <summary>
/// The same load against another commit, run first in the same invocation; with --rounds, the earlier pairs of
/// (that commit, this checkout) too, each side of each pair on fresh servers.
/// </summary>
public sealed record Comparison(string Ref, string Commit, LoadResult Load, IReadOnlyList<(LoadResult Reference, LoadResult Checkout)> EarlierPairs)
{
    /// <summary>
    /// Whether pair <paramref name="index"/> (from 0) of <paramref name="pairs"/> ran this checkout first: the pairs before the
    /// last take turns, starting with this checkout, so that with an even number of pairs each side goes first in half of
    /// them; the last runs the reference first.
    /// </summary>
    public static bool CheckoutRanFirst(int index, int pairs) => index < pairs - 1 && index % 2 == 0;
}
