using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Accountability.Bench;

/// <summary>The figures of a run, as a table for people and as latest.json for tools.</summary>
public sealed record Report(
    BenchOptions Options,
    DateTimeOffset Started,
    TimeSpan Elapsed,
    string LoadBefore,
    string LoadAfter,
    double RabbitMessagesPerSecond,
    double NpgsqlTransactionsPerSecond,
    PhaseResult FixedRate,
    PhaseResult Maximum,
    SystemCost Cost,
    IReadOnlyDictionary<string, long> PeakWorkingSet,
    IReadOnlyDictionary<string, double> IdleCpuPercent,
    long AuditPeakAfterReplay,
    ReplayResult Replay,
    long MailsReceived,
    SmtpUse Smtp,
    Comparison? Comparison = null,
    PhaseResult? Burst = null,
    PhaseResult? HalfMaximum = null,
    SpentCpu? BurstCpu = null)
{
    /// <summary>The headline: end-to-end cases per second at the maximum.</summary>
    public double CasesPerSecond => Maximum.CasesPerSecond;

    public double RatioToRabbitMq => CasesPerSecond / RabbitMessagesPerSecond;

    public double RatioToNpgsql => CasesPerSecond / NpgsqlTransactionsPerSecond;

    public string Table()
    {
        var t = new StringBuilder();
        t.AppendLine($"Accountability bench, {(Options.Quick ? "quick" : "full")} mode, {Started:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {MemoryBytes() / (1024.0 * 1024 * 1024):N1} GiB, load {LoadBefore} -> {LoadAfter}");
        t.AppendLine();
        t.AppendLine("| figure | value |");
        t.AppendLine("|---|---|");
        Row(t, "baseline RabbitMQ.Client: confirmed publish + acked consume, 1 KB persistent", $"{RabbitMessagesPerSecond:N0} msg/s");
        Row(t, "baseline Npgsql: case + outbox row per transaction, 8 connections", $"{NpgsqlTransactionsPerSecond:N0} tx/s");
        foreach (var phase in new[] { FixedRate, Maximum, HalfMaximum }.OfType<PhaseResult>())
        {
            Row(t, $"end to end ({phase.Name}): cases/s routed + notified + audited + clocked", $"{phase.CasesPerSecond:N1} cases/s ({phase.Accepted}/{phase.Offered} accepted, {phase.Unfinished} unfinished)");
            Row(t, $"end to end ({phase.Name}): intake 201 answers/s", $"{phase.AcceptedPerSecond:N1}/s (HTTP p50 {phase.HttpP50Ms:N0} ms, p99 {phase.HttpP99Ms:N0} ms)");
            Row(t, $"end to end ({phase.Name}): each stage alone, routed / notified / audited / clocked",
                $"{phase.RoutedPerSecond:N1} / {phase.NotifiedPerSecond:N1} / {phase.AuditedPerSecond:N1} / {Rate(phase.ClockedPerSecond)} cases/s");
            Row(t, $"end to end ({phase.Name}): receipt -> owned p50 / p95 / p99 / max", $"{phase.P50Ms:N0} / {phase.P95Ms:N0} / {phase.P99Ms:N0} / {phase.MaxMs:N0} ms");
        }
        if (Burst is { } b)
        {
            // Issue 18's test of congestion collapse: intake keeps accepting, and each stage drains at >= 90% of its rate at the maximum.
            Row(t, $"burst: 4x the maximum ({b.OfferedRate:N1}/s) for {Options.BurstSeconds} s, accepted / refused / unfinished", $"{b.Accepted} / {b.Rejected} / {b.Unfinished} of {b.Offered}");
            Row(t, "burst: drained after the last POST; the stage that finished first", $"{b.DrainSeconds:N0} s; {b.FirstStageDone}");
            Row(t, "burst: each stage, routed / notified / audited / clocked (share of its rate at the maximum)",
                $"{b.RoutedPerSecond:N1} ({Share(b.RoutedPerSecond, Maximum.RoutedPerSecond)}) / {b.NotifiedPerSecond:N1} ({Share(b.NotifiedPerSecond, Maximum.NotifiedPerSecond)}) / "
                + $"{b.AuditedPerSecond:N1} ({Share(b.AuditedPerSecond, Maximum.AuditedPerSecond)}) / {Rate(b.ClockedPerSecond)} ({Share(b.ClockedPerSecond ?? 0, Maximum.ClockedPerSecond ?? 0)}) cases/s");
            if (BurstCpu is { } spent && spent.MsPerComplaint(b.Accepted) is var burstMs)
                Row(t, "burst: CPU per complaint through the burst and its drain; cores busy on average",
                    $"{burstMs.Values.Sum():N1} ms (" + string.Join(", ", burstMs.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N1}"))
                    + $"); {spent.CoresBusy:N2} of {Environment.ProcessorCount} cores over {spent.Seconds:N0} s");
        }
        Row(t, $"CPU per complaint, whole system (both phases, {Cost.Complaints} complaints)", $"{Cost.TotalCpuMsPerComplaint:N1} ms (services {Cost.ServicesCpuMsPerComplaint:N1} ms)");
        foreach (var (process, ms) in Cost.CpuMsPerComplaint.OrderByDescending(p => p.Value))
            Row(t, $"CPU per complaint: {process}", $"{ms:N2} ms");
        foreach (var phase in Cost.Phases)
            Row(t, $"CPU per complaint in the {phase.Phase} phase alone ({phase.Complaints} complaints, {phase.Seconds:N0} s)",
                $"{phase.TotalCpuMsPerComplaint:N1} ms (" + string.Join(", ", phase.CpuMsPerComplaint.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N1}")) + ")"
                + (phase.TieredJitMsPerComplaint is { } jit ? $"; of the services', the tiered JIT's background compiles {jit:N1} ms" : "")
                + $"; PostgreSQL's processes woken {phase.PostgresWakeUpsPerComplaint:N1} times a complaint");
        foreach (var phase in Cost.Phases)
            Row(t, $"PostgreSQL's CPU per complaint in the {phase.Phase} phase, by process", PostgresByProcess(phase));
        Row(t, "messages per complaint: published / delivered (RabbitMQ)", $"{Cost.PublishedPerComplaint:N1} / {Cost.DeliveredPerComplaint:N1}");
        Row(t, "messages delivered per complaint, by queue", string.Join(", ",
            Cost.DeliveredPerComplaintByQueue.Where(q => q.Value >= 0.05).OrderByDescending(q => q.Value).Select(q => $"{q.Key} {q.Value:N1}")));
        Row(t, "RabbitMQ's work by process, both phases: each busy queue's, the channels' and the connections' share of their reductions", BrokerByProcess(Cost.BrokerWork));
        Row(t, "RabbitMQ's reductions per message a queue delivered, thousands", string.Join(", ",
            Cost.BrokerWork.ReductionsPerDeliveryByQueue.OrderByDescending(q => q.Value).Select(q => $"{q.Key} {q.Value / 1000:N1}")));
        Row(t, "database statements per complaint (pg_stat_statements)", $"{Cost.StatementsPerComplaint:N1}");
        Row(t, "database statements per complaint, by login", string.Join(", ",
            Cost.StatementsPerComplaintByLogin.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N1}")));
        Row(t, "peak database connections in the phases", string.Join(", ", Cost.PeakConnections.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")));
        Row(t, "idle, no traffic, after the load settled: CPU of the five services, PostgreSQL and RabbitMQ, % of one core", $"{IdleCpuPercent.Values.Sum():N1}% (" + string.Join(", ", IdleCpuPercent.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N1}%")) + ")");
        // Issue 18's target 7 counts make up's own processes (the services), not the servers they use.
        Row(t, "idle, the same, the five services alone, % of one core", $"{IdleServicesCpuPercent:N1}%");
        Row(t, "ratio: end-to-end cases/s (max) / RabbitMQ msg/s", $"{RatioToRabbitMq:0.0000}");
        Row(t, "ratio: end-to-end cases/s (max) / Npgsql tx/s", $"{RatioToNpgsql:0.0000}");
        foreach (var (name, bytes) in PeakWorkingSet)
            Row(t, $"peak working set (VmHWM) {name.ToLowerInvariant()}, after the load", $"{bytes / (1024.0 * 1024):N0} MiB");
        Row(t, "peak working set (VmHWM) audit, after verify + rebuild", $"{AuditPeakAfterReplay / (1024.0 * 1024):N0} MiB");
        Row(t, $"replay: verify over {Replay.Events:N0} events ({(Replay.Verified ? "valid" : "NOT VALID")})", $"{Replay.VerifyEventsPerSecond:N0} events/s ({Replay.VerifySeconds:N1} s"
            + (Replay.RestWaitSeconds >= 3 ? $", after {Replay.RestWaitSeconds:N0} s waiting for the system to rest)" : ")"));
        Row(t, $"replay: rebuild of every projection over {Replay.RebuildReplayed:N0} events", $"{Replay.RebuildEventsPerSecond:N0} events/s ({Replay.RebuildSeconds:N1} s)");
        Row(t, "replay: synthetic events written (hash-chained, COPY)", $"{Replay.Generated:N0} in {Replay.GenerateSeconds:N1} s");
        Row(t, "mails accepted by the bench's SMTP sink", $"{MailsReceived:N0}");
        Row(t, "mails per SMTP connection in the measured phases", $"{Smtp.MailsPerConnection:N1} ({Smtp.Mails:N0} mails over {Smtp.Connections:N0} connections)");
        Row(t, "whole run", $"{Elapsed.TotalSeconds:N0} s");
        if (Comparison is { } c)
        {
            t.AppendLine();
            t.AppendLine($"Side by side with {c.Ref} ({c.Commit[..10]}), the same load in this invocation, each on fresh servers:");
            t.AppendLine();
            t.AppendLine("| figure | " + c.Ref + " | this checkout | ratio |");
            t.AppendLine("|---|---:|---:|---:|");
            Side(t, "end to end at the maximum, cases/s", c.Load.Maximum.CasesPerSecond, Maximum.CasesPerSecond, higherIsBetter: true, "N1");
            Side(t, "end to end at the fixed rate, cases/s", c.Load.FixedRate.CasesPerSecond, FixedRate.CasesPerSecond, higherIsBetter: true, "N1");
            Side(t, "receipt -> owned p99 at the fixed rate, ms", c.Load.FixedRate.P99Ms, FixedRate.P99Ms, higherIsBetter: false, "N0");
            Side(t, "CPU per complaint, whole system, ms", c.Load.Cost.TotalCpuMsPerComplaint, Cost.TotalCpuMsPerComplaint, higherIsBetter: false, "N1");
            Side(t, "CPU per complaint, the five services, ms", c.Load.Cost.ServicesCpuMsPerComplaint, Cost.ServicesCpuMsPerComplaint, higherIsBetter: false, "N1");
            foreach (var process in Cost.CpuMsPerComplaint.Keys.OrderBy(k => k))
                Side(t, $"CPU per complaint, {process}, ms", c.Load.Cost.CpuMsPerComplaint.GetValueOrDefault(process), Cost.CpuMsPerComplaint[process], higherIsBetter: false, "N1");
            Side(t, "idle CPU, services + PostgreSQL + RabbitMQ, % of one core", c.Load.IdleCpuPercent.Values.Sum(), IdleCpuPercent.Values.Sum(), higherIsBetter: false, "N1");
            Side(t, "idle CPU, the five services alone, % of one core", ServicesOnly(c.Load.IdleCpuPercent), IdleServicesCpuPercent, higherIsBetter: false, "N1");
            Side(t, "messages published per complaint", c.Load.Cost.PublishedPerComplaint, Cost.PublishedPerComplaint, higherIsBetter: false, "N1");
            Side(t, "database statements per complaint", c.Load.Cost.StatementsPerComplaint, Cost.StatementsPerComplaint, higherIsBetter: false, "N1");
            Side(t, "mails per SMTP connection", c.Load.Smtp.MailsPerConnection, Smtp.MailsPerConnection, higherIsBetter: true, "N1");
            foreach (var phase in Cost.Phases)
                if (c.Load.Cost.Phases.FirstOrDefault(p => p.Phase == phase.Phase) is { } theirs)
                {
                    Side(t, $"CPU per complaint in the {phase.Phase} phase, ms", theirs.TotalCpuMsPerComplaint, phase.TotalCpuMsPerComplaint, higherIsBetter: false, "N1");
                    Side(t, $"PostgreSQL woken per complaint in the {phase.Phase} phase", theirs.PostgresWakeUpsPerComplaint, phase.PostgresWakeUpsPerComplaint, higherIsBetter: false, "N1");
                }
            if (c.EarlierPairs.Count > 0)
                Pairs(t, c);
        }
        Statements(t, "Top statements by total time in the phases (pg_stat_statements):", Cost.TopStatements);
        Statements(t, "The most called statements in the phases (pg_stat_statements):", Cost.MostCalledStatements);
        if (BurstCpu is { } burstSpent)
            Statements(t, "Top statements by total time in the burst and its drain (pg_stat_statements):", burstSpent.TopStatements);
        return t.ToString();
    }

    private static void Statements(StringBuilder t, string title, IReadOnlyList<TopStatement> statements)
    {
        if (statements.Count == 0)
            return;
        t.AppendLine();
        t.AppendLine(title);
        t.AppendLine();
        t.AppendLine("| total ms | calls | ms/call | rows | service | statement |");
        t.AppendLine("|---:|---:|---:|---:|---|---|");
        foreach (var statement in statements)
            t.AppendLine($"| {statement.TotalMs:N0} | {statement.Calls:N0} | {statement.TotalMs / Math.Max(statement.Calls, 1):N3} | {statement.Rows:N0} | {statement.Service} | `{Shorten(statement.Query)}` |");
    }

    public JsonObject Json() => new()
    {
        ["timestamp"] = Started.ToString("O"),
        ["mode"] = Options.Quick ? "quick" : "full",
        ["machine"] = new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["memoryBytes"] = MemoryBytes(),
            ["os"] = RuntimeInformation.OSDescription,
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["loadAverageBefore"] = LoadBefore,
            ["loadAverageAfter"] = LoadAfter,
        },
        ["options"] = new JsonObject
        {
            ["cases"] = Options.Cases,
            ["rate"] = Options.Rate,
            ["concurrency"] = Options.Concurrency,
            ["replayEvents"] = Options.ReplayEvents,
            ["settings"] = new JsonObject(Options.Settings.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
        },
        ["casesPerSecond"] = Round(CasesPerSecond),
        ["p50Ms"] = Round(FixedRate.P50Ms),
        ["p95Ms"] = Round(FixedRate.P95Ms),
        ["p99Ms"] = Round(FixedRate.P99Ms),
        ["baselines"] = new JsonObject
        {
            ["rabbitMqMessagesPerSecond"] = Round(RabbitMessagesPerSecond),
            ["npgsqlTransactionsPerSecond"] = Round(NpgsqlTransactionsPerSecond),
        },
        ["ratios"] = new JsonObject
        {
            ["casesPerSecondToRabbitMq"] = Math.Round(RatioToRabbitMq, 5),
            ["casesPerSecondToNpgsql"] = Math.Round(RatioToNpgsql, 5),
        },
        ["cpuMsPerComplaint"] = Round(Cost.TotalCpuMsPerComplaint),
        ["idleCpuPercentOfOneCore"] = new JsonObject(IdleCpuPercent.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Round(p.Value)))),
        ["idleServicesCpuPercentOfOneCore"] = Round(IdleServicesCpuPercent),
        ["cost"] = new JsonObject
        {
            ["complaints"] = Cost.Complaints,
            ["windowSeconds"] = Round(Cost.WindowSeconds),
            ["cpuMsPerComplaintByProcess"] = new JsonObject(Cost.CpuMsPerComplaint.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Round(p.Value)))),
            ["byPhase"] = PhasesJson(Cost),
            ["publishedPerComplaint"] = Round(Cost.PublishedPerComplaint),
            ["deliveredPerComplaint"] = Round(Cost.DeliveredPerComplaint),
            ["deliveredPerComplaintByQueue"] = new JsonObject(Cost.DeliveredPerComplaintByQueue.OrderBy(q => q.Key, StringComparer.Ordinal)
                .Select(q => KeyValuePair.Create(q.Key, (JsonNode?)Round(q.Value)))),
            ["rabbitmqReductionsShareByProcess"] = new JsonObject(Cost.BrokerWork.ShareByProcess.OrderByDescending(p => p.Value)
                .Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value, 4)))),
            ["rabbitmqReductionsPerDeliveryByQueue"] = new JsonObject(Cost.BrokerWork.ReductionsPerDeliveryByQueue.OrderBy(q => q.Key, StringComparer.Ordinal)
                .Select(q => KeyValuePair.Create(q.Key, (JsonNode?)Math.Round(q.Value)))),
            ["statementsPerComplaint"] = Round(Cost.StatementsPerComplaint),
            ["statementsPerComplaintByLogin"] = new JsonObject(Cost.StatementsPerComplaintByLogin.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Round(p.Value)))),
            ["peakConnections"] = new JsonObject(Cost.PeakConnections.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["topStatements"] = StatementsJson(Cost.TopStatements),
            ["mostCalledStatements"] = StatementsJson(Cost.MostCalledStatements),
        },
        ["phases"] = new JsonArray([Phase("fixedRate", FixedRate), Phase("maximum", Maximum),
            .. HalfMaximum is null ? Array.Empty<JsonNode>() : [Phase("halfMaximum", HalfMaximum)],
            .. Burst is null ? Array.Empty<JsonNode>() : [Phase("burst", Burst)]]),
        ["burstCost"] = BurstCpu is { } burstCpu && Burst is { } burst && burstCpu.MsPerComplaint(burst.Accepted) is var burstMs
            ? new JsonObject
            {
                ["seconds"] = Round(burstCpu.Seconds),
                ["coresBusy"] = Round(burstCpu.CoresBusy),
                ["cpuMsPerComplaint"] = Round(burstMs.Values.Sum()),
                ["cpuMsPerComplaintByProcess"] = new JsonObject(burstMs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Round(p.Value)))),
                ["topStatements"] = StatementsJson(burstCpu.TopStatements),
            }
            : null,
        ["peakWorkingSetBytes"] = new JsonObject(PeakWorkingSet.Select(p => KeyValuePair.Create(p.Key.ToLowerInvariant(), (JsonNode?)p.Value))),
        ["auditPeakWorkingSetBytesAfterReplay"] = AuditPeakAfterReplay,
        ["replay"] = new JsonObject
        {
            ["events"] = Replay.Events,
            ["syntheticEvents"] = Replay.Generated,
            ["generateSeconds"] = Round(Replay.GenerateSeconds),
            ["verifyEventsPerSecond"] = Round(Replay.VerifyEventsPerSecond),
            ["verifySeconds"] = Round(Replay.VerifySeconds),
            ["verified"] = Replay.Verified,
            ["rebuildEventsPerSecond"] = Round(Replay.RebuildEventsPerSecond),
            ["rebuildSeconds"] = Round(Replay.RebuildSeconds),
            ["restWaitSeconds"] = Round(Replay.RestWaitSeconds),
        },
        ["mailsReceived"] = MailsReceived,
        ["smtp"] = SmtpJson(Smtp),
        ["comparison"] = ComparisonJson(Comparison),
        ["elapsedSeconds"] = Round(Elapsed.TotalSeconds),
    };

    private static JsonObject Phase(string key, PhaseResult p) => new()
    {
        ["phase"] = key,
        ["offered"] = p.Offered,
        ["accepted"] = p.Accepted,
        ["rejected"] = p.Rejected,
        ["unfinished"] = p.Unfinished,
        ["offeredRate"] = Round(p.OfferedRate),
        ["casesPerSecond"] = Round(p.CasesPerSecond),
        ["acceptedPerSecond"] = Round(p.AcceptedPerSecond),
        ["p50Ms"] = Round(p.P50Ms),
        ["p95Ms"] = Round(p.P95Ms),
        ["p99Ms"] = Round(p.P99Ms),
        ["maxMs"] = Round(p.MaxMs),
        ["httpP50Ms"] = Round(p.HttpP50Ms),
        ["httpP99Ms"] = Round(p.HttpP99Ms),
        ["drainSeconds"] = Round(p.DrainSeconds),
        ["routedPerSecond"] = Round(p.RoutedPerSecond),
        ["notifiedPerSecond"] = Round(p.NotifiedPerSecond),
        ["auditedPerSecond"] = Round(p.AuditedPerSecond),
        ["clockedPerSecond"] = p.ClockedPerSecond is { } clocked ? Round(clocked) : null,
        ["firstStageDone"] = p.FirstStageDone,
    };

    private static double Round(double value) => Math.Round(value, 2);

    private static JsonArray StatementsJson(IReadOnlyList<TopStatement> statements) =>
        new([.. statements.Select(q => (JsonNode)new JsonObject
        {
            ["query"] = q.Query, ["calls"] = q.Calls, ["totalMs"] = Round(q.TotalMs), ["rows"] = q.Rows, ["service"] = q.Service,
        })]);

    // A stage the run could not measure (the clocked stage of a reference commit from before clocks.written_at).
    private static string Rate(double? value) => value is { } rate ? $"{rate:N1}" : "n/a";

    private double IdleServicesCpuPercent => ServicesOnly(IdleCpuPercent);

    private static double ServicesOnly(IReadOnlyDictionary<string, double> byProcess) =>
        byProcess.Where(p => p.Key is not ("postgresql" or "rabbitmq")).Sum(p => p.Value);

    private static string Share(double part, double whole) => whole > 0 ? $"{part / whole:P0}" : "n/a";

    /// <summary>A row of the comparison; the ratio is how many times better this checkout is (above 1 is better).</summary>
    private static void Side(StringBuilder t, string name, double reference, double now, bool higherIsBetter, string format)
    {
        var ratio = higherIsBetter ? now / reference : reference / now;
        var shown = double.IsFinite(ratio) ? $"{ratio:0.00}x" : "n/a";
        t.AppendLine($"| {name} | {reference.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} | {now.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} | {shown} |");
    }

    /// <summary>Every pair of a --rounds run, in the order they ran, and the median of each ratio (above 1: this checkout is better).</summary>
    private void Pairs(StringBuilder t, Comparison c)
    {
        var pairs = AllPairs(c);
        t.AppendLine();
        t.AppendLine("Every pair, in the order they ran, and the medians:");
        t.AppendLine();
        t.AppendLine($"| pair | first | CPU per complaint, ms: {c.Ref} / this checkout | ratio | cases/s at the maximum: {c.Ref} / this checkout | ratio |");
        t.AppendLine("|---|---|---:|---:|---:|---:|");
        var index = 0;
        foreach (var (reference, checkout) in pairs)
            t.AppendLine($"| {index + 1} | {(Comparison.CheckoutRanFirst(index++, pairs.Count) ? "this checkout" : c.Ref)} "
                + $"| {reference.Cost.TotalCpuMsPerComplaint:N1} / {checkout.Cost.TotalCpuMsPerComplaint:N1} | {CpuRatio(reference, checkout):0.00}x "
                + $"| {reference.Maximum.CasesPerSecond:N1} / {checkout.Maximum.CasesPerSecond:N1} | {RateRatio(reference, checkout):0.00}x |");
        t.AppendLine($"| median | | {Median(pairs.Select(p => CpuRatio(p.Reference, p.Checkout))):0.00}x | | {Median(pairs.Select(p => RateRatio(p.Reference, p.Checkout))):0.00}x |");
    }

    private IReadOnlyList<(LoadResult Reference, LoadResult Checkout)> AllPairs(Comparison c) =>
        [.. c.EarlierPairs, (c.Load, new LoadResult(FixedRate, Maximum, Cost, PeakWorkingSet, IdleCpuPercent, Burst, HalfMaximum, Smtp, BurstCpu))];

    private static double CpuRatio(LoadResult reference, LoadResult checkout) => reference.Cost.TotalCpuMsPerComplaint / checkout.Cost.TotalCpuMsPerComplaint;

    private static double RateRatio(LoadResult reference, LoadResult checkout) => checkout.Maximum.CasesPerSecond / reference.Maximum.CasesPerSecond;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private JsonObject? ComparisonJson(Comparison? c)
    {
        if (c is null)
            return null;
        var pairs = AllPairs(c);
        return new JsonObject
        {
            ["pairs"] = new JsonArray([.. pairs.Select((p, index) => (JsonNode)new JsonObject
            {
                ["first"] = Comparison.CheckoutRanFirst(index, pairs.Count) ? "checkout" : "reference",
                ["referenceCpuMsPerComplaint"] = Round(p.Reference.Cost.TotalCpuMsPerComplaint),
                ["cpuMsPerComplaint"] = Round(p.Checkout.Cost.TotalCpuMsPerComplaint),
                ["referenceCasesPerSecond"] = Round(p.Reference.Maximum.CasesPerSecond),
                ["casesPerSecond"] = Round(p.Checkout.Maximum.CasesPerSecond),
            })]),
            ["medianCpuRatio"] = Round(Median(pairs.Select(p => CpuRatio(p.Reference, p.Checkout)))),
            ["medianCasesPerSecondRatio"] = Round(Median(pairs.Select(p => RateRatio(p.Reference, p.Checkout)))),
            ["ref"] = c.Ref,
            ["commit"] = c.Commit,
            ["phases"] = new JsonArray(Phase("fixedRate", c.Load.FixedRate), Phase("maximum", c.Load.Maximum)),
            ["cpuMsPerComplaint"] = Round(c.Load.Cost.TotalCpuMsPerComplaint),
            ["cpuMsPerComplaintByProcess"] = new JsonObject(c.Load.Cost.CpuMsPerComplaint.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Round(p.Value)))),
            ["byPhase"] = PhasesJson(c.Load.Cost),
            ["smtp"] = SmtpJson(c.Load.Smtp),
            ["publishedPerComplaint"] = Round(c.Load.Cost.PublishedPerComplaint),
        };
    }

    private static JsonObject SmtpJson(SmtpUse smtp) => new()
    {
        ["mails"] = smtp.Mails,
        ["connections"] = smtp.Connections,
        ["mailsPerConnection"] = Round(smtp.MailsPerConnection),
    };

    private static JsonArray PhasesJson(SystemCost cost) => new([.. cost.Phases.Select(phase => (JsonNode)new JsonObject
    {
        ["phase"] = phase.Phase,
        ["complaints"] = phase.Complaints,
        ["seconds"] = Round(phase.Seconds),
        ["cpuMsPerComplaint"] = Round(phase.TotalCpuMsPerComplaint),
        ["cpuMsPerComplaintByProcess"] = new JsonObject(phase.CpuMsPerComplaint.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Round(p.Value)))),
        ["tieredJitMsPerComplaint"] = phase.TieredJitMsPerComplaint is { } jit ? Round(jit) : null,
        ["postgresqlWakeUpsPerComplaint"] = Round(phase.PostgresWakeUpsPerComplaint),
        ["postgresqlCpuMsPerComplaintByProcess"] = new JsonObject(phase.PostgresqlCpuMsPerComplaintByProcess.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Round(p.Value)))),
    })]);

    /// <summary>"backends of intake 4.5, …, autovacuum workers 0.3, ended meanwhile 0.6, background 0.2" (ms a complaint).</summary>
    public static string PostgresByProcess(PhaseCost phase) => string.Join(", ", phase.PostgresqlCpuMsPerComplaintByProcess
        .OrderByDescending(p => p.Value)
        .Select(p => p.Key is SystemMeter.PostgresRoles.Background or SystemMeter.PostgresRoles.AutovacuumWorkers or SystemMeter.PostgresRoles.Ended
            ? $"{p.Key} {p.Value:N1}" : $"backends of {p.Key} {p.Value:N1}"));

    /// <summary>"queue audit-trail 41%, channels 27%, queue escalation-case-events 19%, …" (shares of the reductions).</summary>
    public static string BrokerByProcess(BrokerWork work) => string.Join(", ", work.ShareByProcess
        .Where(p => p.Value >= 0.005).OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:P0}"));

    private static string Shorten(string query) =>
        (query.Length <= 160 ? query : query[..157] + "...").Replace("|", "\\|", StringComparison.Ordinal);

    private static void Row(StringBuilder t, string name, string value) => t.AppendLine($"| {name} | {value} |");

    public static long MemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                    return long.Parse(line[9..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
