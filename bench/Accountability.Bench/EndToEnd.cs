using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Accountability.Bench;

/// <summary>The figures of one end-to-end phase.</summary>
public sealed record PhaseResult(
    string Name,
    int Offered,
    int Accepted,
    int Rejected,
    double OfferedRate,
    double CasesPerSecond,
    double AcceptedPerSecond,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    double HttpP50Ms,
    double HttpP99Ms,
    double DrainSeconds,
    int Unfinished,
    double RoutedPerSecond,
    double NotifiedPerSecond,
    double AuditedPerSecond,
    /// <summary>Null when escalation's clocks have no written_at (a reference commit from before it).</summary>
    double? ClockedPerSecond,
    string FirstStageDone = "");

/// <summary>
/// Complaints POSTed over HTTP to intake, then counted, read-only, in the throwaway database until
/// every one is routed to an owner (assignment's custody), told (a sent delivery in notification),
/// recorded (its ComplaintReceived in audit_events) and clocked (escalation's acknowledge clock running
/// for the person who owns it, written at escalation's clocks.written_at).
/// </summary>
public sealed class EndToEnd(Uri intake, string clerkToken, string connectionString)
{
    private static readonly string[] Categories = ["force", "discourtesy", "lack-of-service"];

    // The progress poll runs inside the CPU window, on the same PostgreSQL. Its estimated cost crosses the JIT's threshold,
    // and compiling it on every poll cost about 75 ms of PostgreSQL's CPU each time (19 ms of execution without the JIT,
    // over 1,000 cases): the bench's own measuring counted against the system. The services' statements never JIT.
    private readonly string progressConnectionString = WithoutJit(connectionString);

    private static string WithoutJit(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = $"{builder.Options} -c jit=off".Trim();
        return builder.ConnectionString;
    }

    private readonly HttpClient http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = intake,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Open loop: complaint i is sent at start + i / rate, whether or not the earlier ones were answered.</summary>
    public async Task<PhaseResult> FixedRateAsync(int cases, double rate, TimeSpan drainTimeout, string? name = null)
    {
        var accepted = new ConcurrentBag<Filed>();
        var rejected = 0;
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var requests = new List<Task>(cases);
        for (var i = 0; i < cases; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
                await Task.Delay(wait);
            requests.Add(FileAsync(i, accepted, () => Interlocked.Increment(ref rejected)));
        }
        await Task.WhenAll(requests);
        var posting = (DateTimeOffset.UtcNow - started).TotalSeconds;
        return await FinishAsync(name ?? $"fixed {rate:0.#}/s", cases, rate, started, posting, [.. accepted], rejected, drainTimeout);
    }

    /// <summary>Closed loop: <paramref name="concurrency"/> clients, each sending its next complaint as soon as the last is answered.</summary>
    public async Task<PhaseResult> MaximumAsync(int cases, int concurrency, TimeSpan drainTimeout)
    {
        var accepted = new ConcurrentBag<Filed>();
        var rejected = 0;
        var next = -1;
        var started = DateTimeOffset.UtcNow;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < cases)
                await FileAsync(i, accepted, () => Interlocked.Increment(ref rejected));
        }).ToList();
        await Task.WhenAll(workers);
        var posting = (DateTimeOffset.UtcNow - started).TotalSeconds;
        return await FinishAsync($"max, {concurrency} in flight", cases, 0, started, posting, [.. accepted], rejected, drainTimeout);
    }

    private async Task FileAsync(int i, ConcurrentBag<Filed> accepted, Action reject)
    {
        var category = Categories[i % Categories.Length];
        var body = "{\"category\":\"" + category + "\",\"narrative\":\"Benchmark complaint " + i + ": the officer shouted at me outside the library.\","
            + "\"channel\":\"phone\",\"district\":\"" + (i % 4 + 1) + "\","
            + "\"complainant\":{\"name\":\"Bench Complainant " + i + "\",\"email\":\"bench" + i + "@example.org\"}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/complaints")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", clerkToken);
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.Created)
            {
                reject();
                if (Interlocked.Increment(ref reportedErrors) <= 3)
                    Console.Error.WriteLine($"[bench] intake answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                return;
            }
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            accepted.Add(new Filed(json.RootElement.GetProperty("caseId").GetGuid(), elapsed, i));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            reject();
            if (Interlocked.Increment(ref reportedErrors) <= 3)
                Console.Error.WriteLine($"[bench] POST failed: {exception.Message}");
        }
    }

    private int reportedErrors;

    /// <summary>The most open cases one progress poll asks about.</summary>
    private const int PollWindow = 500;

    private async Task<PhaseResult> FinishAsync(
        string name, int offered, double rate, DateTimeOffset started, double postingSeconds, IReadOnlyList<Filed> filed, int rejected, TimeSpan drainTimeout)
    {
        // In filing order: the stages take cases about first come, first served, so the oldest open cases finish first.
        var ids = filed.OrderBy(f => f.Order).Select(f => f.CaseId).ToArray();
        var postsDone = Stopwatch.StartNew();
        // A done case stays done, so each poll asks only about cases still under way, and only about the oldest PollWindow
        // of them: the next ones cannot all be done before those are. Asking about every open case cost PostgreSQL about
        // 40 µs a case, so half a second a poll at the start of a burst's drain, a fifth of the machine taken from the
        // stages it measured (docs/bench.md, twenty-ninth round).
        var progress = new Dictionary<Guid, Progress>(ids.Length);
        var open = ids;
        while (true)
        {
            var window = open.Take(PollWindow).ToArray();
            foreach (var row in await ReadProgressAsync(window))
                progress[row.CaseId] = row;
            open = [.. open.Where(id => !progress.TryGetValue(id, out var known) || !known.Done)];
            if (open.Length == 0)
                break;
            if (postsDone.Elapsed > drainTimeout)
            {
                // Out of time: what the unfinished cases reached, for the stages' rates and the count.
                foreach (var row in await ReadProgressAsync(open))
                    progress[row.CaseId] = row;
                break;
            }
            // A window found all done: the next one may be too, so look at it now rather than a poll later.
            if (window.All(id => progress[id].Done))
                continue;
            // A fiftieth of the drain so far, from a quarter of a second to two seconds: a phase that drains in four seconds
            // is timed to the quarter second, a burst that drains in a hundred to within 2%, at a sixth of the polls.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(postsDone.Elapsed.TotalMilliseconds / 50, 250, 2000)));
        }
        IReadOnlyList<Progress> rows = [.. ids.Select(id => progress[id])];
        var drain = postsDone.Elapsed.TotalSeconds;
        var finished = rows.Where(r => r.Done).ToList();
        var end = finished.Count == 0 ? DateTimeOffset.UtcNow : finished.Max(r => r.DoneAt);
        var seconds = Math.Max((end - started).TotalSeconds, 0.001);
        var owned = finished.Select(r => (r.RoutedAt!.Value - r.ReceivedAt!.Value).TotalMilliseconds).Order().ToArray();
        var httpTimes = filed.Select(f => f.HttpMs).Order().ToArray();
        return new PhaseResult(
            name, offered, filed.Count, rejected, rate,
            CasesPerSecond: finished.Count / seconds,
            AcceptedPerSecond: filed.Count / Math.Max(postingSeconds, 0.001),
            P50Ms: Percentile(owned, 0.50), P95Ms: Percentile(owned, 0.95), P99Ms: Percentile(owned, 0.99),
            MaxMs: owned.Length == 0 ? 0 : owned[^1],
            HttpP50Ms: Percentile(httpTimes, 0.50), HttpP99Ms: Percentile(httpTimes, 0.99),
            DrainSeconds: drain,
            Unfinished: ids.Length - finished.Count,
            RoutedPerSecond: StageRate(rows.Select(r => r.RoutedAt)),
            NotifiedPerSecond: StageRate(rows.Select(r => r.NotifiedAt)),
            AuditedPerSecond: StageRate(rows.Select(r => r.AuditedAt)),
            ClockedPerSecond: clockedMeasured == true ? StageRate(rows.Select(r => r.ClockedAt)) : null,
            FirstStageDone: FirstDone([("routed", rows.Select(r => r.RoutedAt)), ("notified", rows.Select(r => r.NotifiedAt)), ("audited", rows.Select(r => r.AuditedAt)),
                .. clockedMeasured == true ? [("clocked", rows.Select(r => r.ClockedAt))] : Array.Empty<(string, IEnumerable<DateTimeOffset?>)>()]));

        // The stage whose last case got there first: under a backlog, routing should finish first, so every complaint has its owner soonest.
        static string FirstDone((string Stage, IEnumerable<DateTimeOffset?> Instants)[] stages) =>
            stages.Select(s => (s.Stage, Last: s.Instants.Max() ?? DateTimeOffset.MaxValue)).MinBy(s => s.Last).Stage;

        // Each stage alone: cases that reached it, over the time from the first POST to the last of them reaching it.
        double StageRate(IEnumerable<DateTimeOffset?> instants)
        {
            var reached = instants.Where(i => i is not null).Select(i => i!.Value).ToList();
            return reached.Count == 0 ? 0 : reached.Count / Math.Max((reached.Max() - started).TotalSeconds, 0.001);
        }
    }

    /// <summary>One read-only query per poll over the four services' schemas.</summary>
    private async Task<IReadOnlyList<Progress>> ReadProgressAsync(Guid[] ids)
    {
        await using var connection = new NpgsqlConnection(progressConnectionString);
        await connection.OpenAsync();
        // A reference commit's escalation may predate clocks.written_at: its clocked stage is then not measured.
        if (clockedMeasured is null)
        {
            await using var probe = new NpgsqlCommand(
                "select exists (select from information_schema.columns where table_schema = 'escalation' and table_name = 'clocks' and column_name = 'written_at')",
                connection);
            clockedMeasured = (bool)(await probe.ExecuteScalarAsync())!;
        }
        var clockedAt = clockedMeasured == true
            ? "(select written_at from escalation.clocks k where k.case_id = ids.id and k.clock = 'acknowledge' and k.owner_kind = 'person')"
            : "null::timestamptz";
        await using var command = new NpgsqlCommand(
            $$"""
            select ids.id,
                   (select from_at from assignment.custody c where c.case_id = ids.id and c.seq = 1),
                   (select from_at from assignment.custody c where c.case_id = ids.id and c.seq = 2),
                   (select min(sent_at) from notification.deliveries d where d.case_id = ids.id and d.status = 'sent'),
                   (select min(recorded_at) from audit.audit_events a where a.case_id = ids.id and a.type = 'ComplaintReceived'),
                   {{clockedAt}}
            from unnest(@ids) as ids(id)
            """, connection);
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Progress>(ids.Length);
        while (await reader.ReadAsync())
            rows.Add(new Progress(
                reader.GetGuid(0),
                reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                ClockedMeasured: clockedMeasured == true));
        return rows;
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed record Filed(Guid CaseId, double HttpMs, int Order);

    private bool? clockedMeasured;

    private sealed record Progress(
        Guid CaseId, DateTimeOffset? ReceivedAt, DateTimeOffset? RoutedAt, DateTimeOffset? NotifiedAt, DateTimeOffset? AuditedAt, DateTimeOffset? ClockedAt,
        bool ClockedMeasured)
    {
        public bool Done => ReceivedAt is not null && RoutedAt is not null && NotifiedAt is not null && AuditedAt is not null
                            && (ClockedAt is not null || !ClockedMeasured);

        public DateTimeOffset DoneAt => new[] { RoutedAt!.Value, NotifiedAt!.Value, AuditedAt!.Value, ClockedAt ?? DateTimeOffset.MinValue }.Max();
    }
}
