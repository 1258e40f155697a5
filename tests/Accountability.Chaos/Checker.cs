using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Accountability.TestSupport;
using Accountability.TestSupport.Smtp;
using Npgsql;

namespace Accountability.Chaos;

/// <summary>The counts a run ends with; any above 0 fails it.</summary>
public sealed class Verdict
{
    public ConcurrentDictionary<string, int> Lost { get; } = new();

    public ConcurrentDictionary<string, int> Duplicated { get; } = new();

    public ConcurrentDictionary<string, int> Unowned { get; } = new();

    /// <summary>Counts a service keeps that differ from the rows they count (routing's open cases per owner).</summary>
    public ConcurrentDictionary<string, int> Miscounted { get; } = new();

    public ConcurrentQueue<string> Examples { get; } = new();

    /// <summary>
    /// Receipts transmitted more than once as the same message (same Message-ID): the relay accepted it,
    /// then the sender died before recording that, and sent it again. No protocol makes an SMTP send and
    /// a database commit one step, so a re-send is the price of never losing a receipt; the shared
    /// Message-ID lets mail systems drop the copy. Informative; a second, different message is a duplicate.
    /// </summary>
    public int ResentReceipts { get; set; }

    public bool AuditVerified { get; set; }

    public string AuditMessage { get; set; } = "";

    public int LostTotal => Lost.Values.Sum();

    public int DuplicatedTotal => Duplicated.Values.Sum();

    public int UnownedTotal => Unowned.Values.Sum();

    public int MiscountedTotal => Miscounted.Values.Sum();

    public bool Passed => LostTotal == 0 && DuplicatedTotal == 0 && UnownedTotal == 0 && MiscountedTotal == 0 && AuditVerified;

    public void Count(ConcurrentDictionary<string, int> bucket, string what, string example)
    {
        bucket.AddOrUpdate(what, 1, (_, n) => n + 1);
        if (Examples.Count < 40)
            Examples.Enqueue($"{what}: {example}");
    }
}

/// <summary>
/// The Jepsen-style checker: everything is measured against the accepted complaints (each 201 and its
/// caseId), over the services' public HTTP APIs, the SMTP server's mailbox, and read-only SQL counts for
/// the duplicates an API cannot show.
/// </summary>
public sealed class Checker(Cluster cluster, string readerToken, string connectionString, SmtpTestServer smtp)
{
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Waits until every accepted case is routed, clocked, notified (receipt mailed) and audited, or the time is up.</summary>
    public async Task DrainAsync(IReadOnlyCollection<Accepted> accepted, TimeSpan timeout, Action<string> log)
    {
        var ids = accepted.Select(a => a.CaseId).ToArray();
        var emails = accepted.Select(a => a.Email).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var deadline = DateTime.UtcNow + timeout;
        var lastLog = DateTime.MinValue;
        while (true)
        {
            var (routed, clocked, notified, audited) = await ProgressAsync(ids);
            var mailed = smtp.Received.Where(IsReceipt).SelectMany(m => m.Recipients).Where(emails.Contains).Distinct(StringComparer.OrdinalIgnoreCase).Count();
            var done = routed == ids.Length && clocked == ids.Length && notified == ids.Length && audited == ids.Length && mailed == emails.Count;
            if (done || DateTime.UtcNow > deadline || DateTime.UtcNow - lastLog > TimeSpan.FromSeconds(10))
            {
                log($"drain: of {ids.Length} accepted, routed {routed}, clocked {clocked}, notified {notified}, receipt mailed {mailed}, audited {audited}");
                lastLog = DateTime.UtcNow;
            }
            if (done || DateTime.UtcNow > deadline)
                return;
            await Task.Delay(2_000);
        }
    }

    private async Task<(int Routed, int Clocked, int Notified, int Audited)> ProgressAsync(Guid[] ids)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                select
                  (select count(*) from unnest(@ids) i where exists (select 1 from assignment.custody c where c.case_id = i and c.seq >= 2)),
                  (select count(*) from unnest(@ids) i where exists (select 1 from escalation.clocks c where c.case_id = i)),
                  (select count(*) from unnest(@ids) i where exists (select 1 from notification.deliveries d where d.case_id = i)),
                  (select count(*) from unnest(@ids) i where exists (select 1 from audit.audit_events a where a.case_id = i and a.type = 'ComplaintReceived'))
                """, connection);
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return ((int)reader.GetInt64(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2), (int)reader.GetInt64(3));
        }
        catch (NpgsqlException)
        {
            return (0, 0, 0, 0);
        }
    }

    private static bool IsReceipt(ReceivedMail mail) => mail.Subject.StartsWith("We have received your complaint", StringComparison.Ordinal);

    public async Task<Verdict> CheckAsync(IReadOnlyCollection<Accepted> accepted, int concurrency, Action<string> log)
    {
        var verdict = new Verdict();
        foreach (var key in new[] { "assignment", "escalation", "notification", "audit", "receipt e-mail" })
            verdict.Lost[key] = 0;
        foreach (var key in new[] { "case (intake)", "case (assignment CaseOpened)", "receipt e-mail", "receipt delivery", "audit record" })
            verdict.Duplicated[key] = 0;
        foreach (var key in new[] { "no owner now", "no owner at a sampled instant", "custody gap", "custody overlap", "open intervals != 1" })
            verdict.Unowned[key] = 0;
        verdict.Miscounted["open cases per owner"] = 0;

        // Per case, over HTTP.
        var queue = new ConcurrentQueue<Accepted>(accepted);
        var samples = 0;
        var checkedCases = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (queue.TryDequeue(out var complaint))
            {
                Interlocked.Add(ref samples, await CheckCaseAsync(complaint, verdict));
                if (Interlocked.Increment(ref checkedCases) % 1000 == 0)
                    log($"checked {checkedCases}/{accepted.Count} cases");
            }
        }));
        log($"checked {accepted.Count} cases; {samples} custody?at= samples");

        // Receipt e-mails, from the SMTP server's mailbox.
        var receipts = smtp.Received.Where(IsReceipt)
            .SelectMany(m => m.Recipients.Select(r => (Recipient: r, MessageId: m.Headers.GetValueOrDefault("Message-ID") ?? Guid.NewGuid().ToString())))
            .GroupBy(r => r.Recipient, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => (Sent: g.Count(), Messages: g.Select(r => r.MessageId).Distinct(StringComparer.Ordinal).Count()), StringComparer.OrdinalIgnoreCase);
        foreach (var complaint in accepted)
        {
            var (sent, messages) = receipts.GetValueOrDefault(complaint.Email);
            if (messages == 0)
                verdict.Count(verdict.Lost, "receipt e-mail", $"{complaint.CaseId} ({complaint.Email})");
            else if (messages > 1)
                verdict.Count(verdict.Duplicated, "receipt e-mail", $"{complaint.CaseId} ({complaint.Email}) got {messages} different receipts");
            if (sent > messages)
                verdict.ResentReceipts += sent - messages;
        }

        // Duplicates an API cannot show: read-only counts.
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await foreach (var (what, example) in DuplicateRowsAsync(connection))
                verdict.Count(verdict.Duplicated, what, example);
            // Routing picks the least loaded investigator from counts that triggers keep (assignment's migration 0013); two
            // instances routed and decided at once, and were killed in the middle. One statement, so one snapshot.
            await using var counts = new NpgsqlCommand(OpenCaseCounts.MiscountedOwnersSql, connection);
            await using var reader = await counts.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                verdict.Count(verdict.Miscounted, "open cases per owner", $"{reader.GetString(0)}: {reader.GetInt32(1)} open, {reader.GetInt32(2)} kept");
        }

        // The trail verifies.
        using var verify = Get(cluster.First("Audit"), "/api/audit/verify");
        using var response = await http.SendAsync(verify);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var json = JsonDocument.Parse(body).RootElement;
            verdict.AuditVerified = json.GetProperty("valid").GetBoolean();
            verdict.AuditMessage = $"{json.GetProperty("checkedRecords").GetInt64()} records, {json.GetProperty("checkedCheckpoints").GetInt64()} checkpoints: {json.GetProperty("message").GetString()}";
        }
        else
            verdict.AuditMessage = $"GET /api/audit/verify answered {(int)response.StatusCode}: {body}";
        return verdict;
    }

    private async Task<int> CheckCaseAsync(Accepted complaint, Verdict verdict)
    {
        var id = complaint.CaseId;
        var samples = 0;

        // Assignment: the case, its owner now, its custody intervals, and the owner at sampled instants.
        var (status, caseView) = await GetJsonAsync(cluster.First("Assignment"), $"/api/cases/{id}");
        if (status != HttpStatusCode.OK)
            verdict.Count(verdict.Lost, "assignment", $"{id}: GET /api/cases/{{id}} {(int)status}");
        else
        {
            if (caseView.TryGetProperty("owner", out var owner) is false || owner.ValueKind != JsonValueKind.Object || owner.GetProperty("id").GetString() is not { Length: > 0 })
                verdict.Count(verdict.Unowned, "no owner now", id.ToString());
            var (custodyStatus, custody) = await GetJsonAsync(cluster.First("Assignment"), $"/api/cases/{id}/custody");
            var intervals = custodyStatus == HttpStatusCode.OK && custody.ValueKind == JsonValueKind.Array
                ? custody.EnumerateArray().Select(i => (From: i.GetProperty("from").GetDateTimeOffset(), To: i.GetProperty("to").ValueKind == JsonValueKind.Null ? (DateTimeOffset?)null : i.GetProperty("to").GetDateTimeOffset())).OrderBy(i => i.From).ToList()
                : [];
            if (intervals.Count(i => i.To is null) != 1)
                verdict.Count(verdict.Unowned, "open intervals != 1", $"{id}: {intervals.Count(i => i.To is null)} open of {intervals.Count}");
            for (var i = 1; i < intervals.Count; i++)
            {
                if (intervals[i - 1].To is not { } end)
                    continue;
                if (end < intervals[i].From)
                    verdict.Count(verdict.Unowned, "custody gap", $"{id}: {end:O} .. {intervals[i].From:O}");
                else if (end > intervals[i].From)
                    verdict.Count(verdict.Unowned, "custody overlap", $"{id}: {intervals[i].From:O} < {end:O}");
            }
            // Instants: when intake answered 201 (the harness's clock), the start of custody, the middle of
            // each interval, just after each transfer, and now.
            var instants = new List<DateTimeOffset> { complaint.AcceptedAt, DateTimeOffset.UtcNow };
            foreach (var interval in intervals)
            {
                instants.Add(interval.From);
                instants.Add(interval.From.AddTicks(10));
                if (interval.To is { } to)
                    instants.Add(interval.From + (to - interval.From) / 2);
            }
            foreach (var instant in instants)
            {
                samples++;
                var at = Uri.EscapeDataString(instant.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
                var (atStatus, atOwner) = await GetJsonAsync(cluster.First("Assignment"), $"/api/cases/{id}/custody?at={at}");
                // The interval view: {seq, ownerKind, ownerId, ownerName, from, to, ...}.
                if (atStatus != HttpStatusCode.OK || atOwner.ValueKind != JsonValueKind.Object
                    || !atOwner.TryGetProperty("ownerId", out var who) || who.GetString() is not { Length: > 0 })
                {
                    verdict.Count(verdict.Unowned, "no owner at a sampled instant", $"{id} at {instant:O}: {(int)atStatus}");
                    break;
                }
            }
        }

        var (clockStatus, clocks) = await GetJsonAsync(cluster.First("Escalation"), $"/api/cases/{id}/clocks");
        if (clockStatus != HttpStatusCode.OK || clocks.ValueKind != JsonValueKind.Array || clocks.GetArrayLength() == 0)
            verdict.Count(verdict.Lost, "escalation", $"{id}: GET clocks {(int)clockStatus}");

        var (notificationStatus, notifications) = await GetJsonAsync(cluster.First("Notification"), $"/api/notifications?caseId={id}&limit=500");
        if (notificationStatus != HttpStatusCode.OK || notifications.ValueKind != JsonValueKind.Array || notifications.GetArrayLength() == 0)
            verdict.Count(verdict.Lost, "notification", $"{id}: {(int)notificationStatus}, no delivery row");

        var (trailStatus, trail) = await GetJsonAsync(cluster.First("Audit"), $"/api/audit/cases/{id}/trail");
        var steps = trailStatus == HttpStatusCode.OK && trail.ValueKind == JsonValueKind.Array ? trail.EnumerateArray().ToList() : [];
        var received = steps.Count(s => s.GetProperty("type").GetString() == "ComplaintReceived");
        if (received == 0)
            verdict.Count(verdict.Lost, "audit", $"{id}: trail {(int)trailStatus}, no ComplaintReceived");
        foreach (var group in steps
            .Where(s => s.TryGetProperty("caseVersion", out var v) && v.ValueKind == JsonValueKind.Number)
            .GroupBy(s => (Type: s.GetProperty("type").GetString(), Version: s.GetProperty("caseVersion").GetInt64()))
            .Where(g => g.Count() > 1))
            verdict.Count(verdict.Duplicated, "audit record", $"{id}: {group.Key.Type} v{group.Key.Version} ×{group.Count()}");
        if (received > 1 && !steps.Any(s => s.GetProperty("type").GetString() == "ComplaintReceived" && s.TryGetProperty("caseVersion", out var v) && v.ValueKind == JsonValueKind.Number))
            verdict.Count(verdict.Duplicated, "audit record", $"{id}: ComplaintReceived ×{received}");
        return samples;
    }

    private static async IAsyncEnumerable<(string What, string Example)> DuplicateRowsAsync(NpgsqlConnection connection)
    {
        // One complaint of ours, stored as two cases: the narrative carries the complaint's number.
        await using (var command = new NpgsqlCommand(
            "select narrative, count(*) from intake.complaints where narrative like 'Chaos complaint %' group by narrative having count(*) > 1", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                yield return ("case (intake)", $"{reader.GetString(0)[..Math.Min(30, reader.GetString(0).Length)]} ×{reader.GetInt64(1)}");
        await using (var command = new NpgsqlCommand(
            "select case_id, count(*) from assignment.case_events where type like '%CaseOpened' group by case_id having count(*) > 1", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                yield return ("case (assignment CaseOpened)", $"{reader.GetGuid(0)} ×{reader.GetInt64(1)}");
        await using (var command = new NpgsqlCommand(
            "select case_id, count(*) from notification.deliveries where template = 'receipt' and recipient_role = 'complainant' group by case_id having count(*) > 1", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                yield return ("receipt delivery", $"{reader.GetGuid(0)} ×{reader.GetInt64(1)}");
    }

    private HttpRequestMessage Get(ServiceHost host, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseAddress, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", readerToken);
        return request;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(ServiceHost host, string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = Get(host, path);
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var body = text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
                    ? JsonDocument.Parse(text).RootElement.Clone()
                    : default;
                if ((int)response.StatusCode >= 500 && attempt < 3)
                    continue;
                return (response.StatusCode, body);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && attempt < 3)
            {
                await Task.Delay(1_000);
            }
        }
    }
}
