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
    IReadOnlyDictionary<string, long> PeakWorkingSet,
    long AuditPeakAfterReplay,
    ReplayResult Replay,
    long MailsReceived)
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
        foreach (var phase in new[] { FixedRate, Maximum })
        {
            Row(t, $"end to end ({phase.Name}): cases/s routed + notified + audited", $"{phase.CasesPerSecond:N1} cases/s ({phase.Accepted}/{phase.Offered} accepted, {phase.Unfinished} unfinished)");
            Row(t, $"end to end ({phase.Name}): intake 201 answers/s", $"{phase.AcceptedPerSecond:N1}/s (HTTP p50 {phase.HttpP50Ms:N0} ms, p99 {phase.HttpP99Ms:N0} ms)");
            Row(t, $"end to end ({phase.Name}): each stage alone, routed / notified / audited", $"{phase.RoutedPerSecond:N1} / {phase.NotifiedPerSecond:N1} / {phase.AuditedPerSecond:N1} cases/s");
            Row(t, $"end to end ({phase.Name}): receipt -> owned p50 / p95 / p99 / max", $"{phase.P50Ms:N0} / {phase.P95Ms:N0} / {phase.P99Ms:N0} / {phase.MaxMs:N0} ms");
        }
        Row(t, "ratio: end-to-end cases/s (max) / RabbitMQ msg/s", $"{RatioToRabbitMq:0.0000}");
        Row(t, "ratio: end-to-end cases/s (max) / Npgsql tx/s", $"{RatioToNpgsql:0.0000}");
        foreach (var (name, bytes) in PeakWorkingSet)
            Row(t, $"peak working set (VmHWM) {name.ToLowerInvariant()}, after the load", $"{bytes / (1024.0 * 1024):N0} MiB");
        Row(t, "peak working set (VmHWM) audit, after verify + rebuild", $"{AuditPeakAfterReplay / (1024.0 * 1024):N0} MiB");
        Row(t, $"replay: verify over {Replay.Events:N0} events ({(Replay.Verified ? "valid" : "NOT VALID")})", $"{Replay.VerifyEventsPerSecond:N0} events/s ({Replay.VerifySeconds:N1} s)");
        Row(t, $"replay: rebuild of every projection over {Replay.RebuildReplayed:N0} events", $"{Replay.RebuildEventsPerSecond:N0} events/s ({Replay.RebuildSeconds:N1} s)");
        Row(t, "replay: synthetic events written (hash-chained, COPY)", $"{Replay.Generated:N0} in {Replay.GenerateSeconds:N1} s");
        Row(t, "mails accepted by the bench's SMTP sink", $"{MailsReceived:N0}");
        Row(t, "whole run", $"{Elapsed.TotalSeconds:N0} s");
        return t.ToString();
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
        ["phases"] = new JsonArray(Phase("fixedRate", FixedRate), Phase("maximum", Maximum)),
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
        },
        ["mailsReceived"] = MailsReceived,
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
    };

    private static double Round(double value) => Math.Round(value, 2);

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
