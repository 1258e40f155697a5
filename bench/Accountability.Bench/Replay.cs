using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Accountability.Bench;

public sealed record ReplayResult(long Events, long Generated, double GenerateSeconds, double VerifyEventsPerSecond, double VerifySeconds, bool Verified,
    double RebuildEventsPerSecond, double RebuildSeconds, long RebuildReplayed)
{
    /// <summary>How long the bench waited for the trail to stop growing and autovacuum to finish before timing verify.</summary>
    public double RestWaitSeconds { get; init; }
}

/// <summary>
/// Grows the trail to the wanted size with synthetic cases, correctly chained: under audit's own
/// chain lock, each batch reads the global head, then numbers, links and hashes its records with the
/// audit service's own <see cref="ChainHash"/> and <see cref="CanonicalJson"/>, and writes them with
/// one binary COPY. Then times GET /api/audit/verify and POST /api/audit/projections/all/rebuild.
/// </summary>
public static class Replay
{
    private const string Schema = "audit";
    private const int CasesPerBatch = 1000;

    // One synthetic case: (type, source, body fields beyond caseId/caseVersion/occurredAt). Ten events, two transfers.
    private static readonly (string Type, string Source, string Fields)[] Story =
    [
        ("ComplaintReceived", "intake", "\"category\":\"force\",\"district\":\"2\",\"channel\":\"phone\",\"intakeDeskUnitId\":\"u-intake-desk\",\"allegations\":[{\"allegationId\":\"a-1\",\"type\":\"force\",\"officerBadge\":\"614\"}],\"narrative\":\"Synthetic benchmark case.\""),
        ("CaseOpened", "assignment", "\"category\":\"force\",\"district\":\"2\",\"allegations\":[{\"id\":\"a-1\",\"type\":\"force\",\"officerBadge\":\"614\"}],\"subjectOfficers\":[\"614\"]"),
        ("CustodyTransferred", "assignment", "\"fromOwnerKind\":\"unit\",\"fromOwnerId\":\"u-intake-desk\",\"toOwnerKind\":\"person\",\"toOwnerId\":\"p-1014\",\"transferKind\":\"routing\",\"reason\":\"Routed by category and district\",\"actor\":\"system:router\""),
        ("CaseAcknowledged", "assignment", "\"actor\":\"p-1014\""),
        ("ComplainantContacted", "assignment", "\"actor\":\"p-1014\",\"method\":\"phone\""),
        ("HandoffRequested", "assignment", "\"handoffId\":\"{H}\",\"fromOwnerKind\":\"person\",\"fromOwnerId\":\"p-1014\",\"toOwnerKind\":\"person\",\"toOwnerId\":\"p-1019\",\"reason\":\"Speaks the complainant's language\",\"actor\":\"p-1014\""),
        ("HandoffAccepted", "assignment", "\"handoffId\":\"{H}\",\"actor\":\"p-1019\""),
        ("CustodyTransferred", "assignment", "\"fromOwnerKind\":\"person\",\"fromOwnerId\":\"p-1014\",\"toOwnerKind\":\"person\",\"toOwnerId\":\"p-1019\",\"transferKind\":\"handoff\",\"reason\":\"Speaks the complainant's language\",\"actor\":\"p-1019\""),
        ("CaseAcknowledged", "assignment", "\"actor\":\"p-1019\""),
        ("FindingsRecorded", "assignment", "\"allegationId\":\"a-1\",\"finding\":\"not-sustained\",\"actor\":\"p-1019\""),
    ];

    public static async Task<long> GenerateAsync(string connectionString, long wantedEvents, Action<string> log)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = $"{Schema},public", CommandTimeout = 600 };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        var existing = await connection.ExecuteScalarAsync<long>("select count(*) from audit_events");
        // json since audit's migration 0006; a REF= build from before it still has jsonb, whose binary form differs.
        var bodyType = await connection.ExecuteScalarAsync<string>(
            "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'audit_events'::regclass and attname = 'body'") == "jsonb"
            ? NpgsqlDbType.Jsonb
            : NpgsqlDbType.Json;
        var generated = 0L;
        var clock = Stopwatch.StartNew();
        while (existing + generated < wantedEvents)
        {
            var cases = (int)Math.Min(CasesPerBatch, Math.Ceiling((wantedEvents - existing - generated) / (double)Story.Length));
            generated += await AppendBatchAsync(connection, cases, bodyType);
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                log($"synthetic audit events: {existing + generated:N0} of {wantedEvents:N0}");
                clock.Restart();
            }
        }
        return generated;
    }

    private static async Task<int> AppendBatchAsync(NpgsqlConnection connection, int cases, NpgsqlDbType bodyType)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await ChainLock.AcquireChainAsync(transaction, Schema, CancellationToken.None);
        var head = await connection.QuerySingleOrDefaultAsync<Head>(
            "select global_seq as Seq, hash as Hash from audit_events order by global_seq desc limit 1", transaction: transaction);
        var seq = head?.Seq ?? 0;
        var prev = head?.Hash ?? ChainHash.Genesis;
        var recordedAt = ChainHash.ToMicroseconds(DateTimeOffset.UtcNow);
        var occurredBase = ChainHash.ToMicroseconds(DateTimeOffset.UtcNow.AddDays(-30));

        var records = new List<AuditRecord>(cases * Story.Length);
        for (var c = 0; c < cases; c++)
        {
            var caseId = Guid.CreateVersion7();
            var handoff = Guid.NewGuid().ToString("D");
            byte[]? casePrev = null;
            for (var v = 0; v < Story.Length; v++)
            {
                var (type, source, fields) = Story[v];
                var occurredAt = occurredBase.AddMilliseconds(c * 20 + v);
                var json = $"{{\"caseId\":\"{caseId:D}\",\"caseVersion\":{v},\"occurredAt\":\"{ChainHash.Instant(occurredAt)}\",\"benchSynthetic\":true,{fields.Replace("{H}", handoff, StringComparison.Ordinal)}}}";
                var unhashed = new AuditRecord(++seq, Guid.NewGuid(), caseId, v + 1, type, source, occurredAt, recordedAt,
                    CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(json)), null, prev, casePrev, []);
                var record = unhashed with { Hash = ChainHash.Compute(prev, unhashed) };
                records.Add(record);
                prev = record.Hash;
                casePrev = record.Hash;
            }
        }

        await using (var import = await connection.BeginBinaryImportAsync(
            """
            copy audit_events (global_seq, event_id, case_id, case_seq, type, source, occurred_at, recorded_at,
                               body, traceparent, prev_hash, case_prev_hash, hash) from stdin (format binary)
            """))
        {
            foreach (var r in records)
            {
                await import.StartRowAsync();
                await import.WriteAsync(r.GlobalSeq, NpgsqlDbType.Bigint);
                await import.WriteAsync(r.EventId, NpgsqlDbType.Uuid);
                await import.WriteAsync(r.CaseId!.Value, NpgsqlDbType.Uuid);
                await import.WriteAsync(r.CaseSeq!.Value, NpgsqlDbType.Bigint);
                await import.WriteAsync(r.Type, NpgsqlDbType.Text);
                await import.WriteAsync(r.Source, NpgsqlDbType.Text);
                await import.WriteAsync(r.OccurredAt, NpgsqlDbType.TimestampTz);
                await import.WriteAsync(r.RecordedAt, NpgsqlDbType.TimestampTz);
                await import.WriteAsync(r.Body, bodyType);
                await import.WriteNullAsync();
                await import.WriteAsync(r.PrevHash, NpgsqlDbType.Bytea);
                if (r.CasePrevHash is null)
                    await import.WriteNullAsync();
                else
                    await import.WriteAsync(r.CasePrevHash, NpgsqlDbType.Bytea);
                await import.WriteAsync(r.Hash, NpgsqlDbType.Bytea);
            }
            await import.CompleteAsync();
        }
        await transaction.CommitAsync();
        return records.Count;
    }

    private sealed record Head(long Seq, byte[] Hash);

    /// <summary>
    /// Waits, up to <paramref name="cap"/>, until the trail has stopped growing and no autovacuum worker runs in the database
    /// (both for two readings a second apart), and returns how long it waited. A burst's case is done for the bench once its
    /// ComplaintReceived is in the trail, but the rest of its records (clocks, mails) were still being appended while verify
    /// ran: in one run verify checked 1,018,854 records and the rebuild right after it 1,038,279. And after the burst and the
    /// synthetic trail, autovacuum visits the tables the load filled. On two cores both took CPU from the verify and rebuild
    /// timed next, which an auditor runs on a trail at rest. What was waited for is logged.
    /// </summary>
    public static async Task<double> WaitForRestAsync(string connectionString, TimeSpan cap, Action<string> log)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var clock = Stopwatch.StartNew();
        var vacuumed = new SortedSet<string>(StringComparer.Ordinal);
        var (firstHead, lastHead, quietReadings) = (-1L, -1L, 0);
        while (true)
        {
            var head = await connection.ExecuteScalarAsync<long>("select coalesce(max(global_seq), 0) from audit.audit_events");
            var running = (await connection.QueryAsync<string>(
                "select coalesce(nullif(query, ''), 'autovacuum') from pg_stat_activity where backend_type = 'autovacuum worker' and datname = current_database()")).ToList();
            vacuumed.UnionWith(running);
            if (firstHead < 0)
                firstHead = head;
            quietReadings = head == lastHead && running.Count == 0 ? quietReadings + 1 : 0;
            lastHead = head;
            if (quietReadings >= 2 || clock.Elapsed >= cap)
            {
                var waited = clock.Elapsed.TotalSeconds;
                if (waited >= 3 || quietReadings < 2)
                    log($"  waited {waited:N0} s for the system to rest{(quietReadings < 2 ? " (the cap: it did not)" : "")}: "
                        + $"{lastHead - firstHead:N0} trail records appended meanwhile"
                        + (vacuumed.Count > 0 ? $"; autovacuum: {string.Join("; ", vacuumed)}" : "; no autovacuum"));
                return waited;
            }
            await Task.Delay(1000);
        }
    }

    /// <summary>Times verify (auditor) and the rebuild of every projection (admin) through the audit service's API.</summary>
    public static async Task<ReplayResult> MeasureAsync(Uri audit, string auditorToken, string adminToken, string connectionString, long generated, double generateSeconds)
    {
        using var http = new HttpClient { BaseAddress = audit, Timeout = TimeSpan.FromHours(2) };
        long events;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            events = await connection.ExecuteScalarAsync<long>("select count(*) from audit.audit_events");
        }

        using var verifyRequest = new HttpRequestMessage(HttpMethod.Get, "/api/audit/verify");
        verifyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", auditorToken);
        var clock = Stopwatch.StartNew();
        using var verifyResponse = await http.SendAsync(verifyRequest);
        var verifyBody = await verifyResponse.Content.ReadAsStringAsync();
        var verifySeconds = clock.Elapsed.TotalSeconds;
        if (!verifyResponse.IsSuccessStatusCode)
            throw new BenchException($"GET /api/audit/verify answered {(int)verifyResponse.StatusCode}: {verifyBody}");
        using var verified = JsonDocument.Parse(verifyBody);
        var valid = verified.RootElement.GetProperty("valid").GetBoolean();
        var checkedRecords = verified.RootElement.GetProperty("checkedRecords").GetInt64();
        if (!valid)
            Console.Error.WriteLine($"[bench] the trail does NOT verify: {verifyBody}");

        using var rebuildRequest = new HttpRequestMessage(HttpMethod.Post, "/api/audit/projections/all/rebuild");
        rebuildRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        clock.Restart();
        using var rebuildResponse = await http.SendAsync(rebuildRequest);
        var rebuildBody = await rebuildResponse.Content.ReadAsStringAsync();
        var rebuildSeconds = clock.Elapsed.TotalSeconds;
        if (!rebuildResponse.IsSuccessStatusCode)
            throw new BenchException($"POST /api/audit/projections/all/rebuild answered {(int)rebuildResponse.StatusCode}: {rebuildBody}");
        using var rebuilt = JsonDocument.Parse(rebuildBody);
        var replayed = rebuilt.RootElement.GetProperty("recordsReplayed").GetInt64();

        return new ReplayResult(events, generated, generateSeconds, checkedRecords / verifySeconds, verifySeconds, valid,
            replayed / rebuildSeconds, rebuildSeconds, replayed);
    }
}
