using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace Accountability.Chaos.Fuzz;

/// <summary>The outcome of one fuzz campaign: the property holds when the three failure counts are 0.</summary>
public sealed record FuzzReport(
    int Seed,
    int Requests,
    IReadOnlyDictionary<int, int> StatusCounts,
    IReadOnlyList<string> ServerErrors,
    int ServerErrorCount,
    int TransportErrors,
    IReadOnlyList<string> TransportErrorSamples,
    IReadOnlyList<string> Crashes,
    IReadOnlyDictionary<string, (long Before, long After)> Rows)
{
    public int RowsStored => Rows.Values.Count(r => r.After != r.Before);

    public bool Holds => ServerErrorCount == 0 && Crashes.Count == 0 && RowsStored == 0;

    public string Summary()
    {
        var text = new StringBuilder();
        text.AppendLine($"fuzz: seed {Seed}, {Requests} requests");
        text.AppendLine("  statuses: " + string.Join(", ", StatusCounts.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "no-response" : s.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))}×{s.Value}")));
        text.AppendLine($"  5xx responses:     {ServerErrorCount}");
        text.AppendLine($"  process crashes:   {Crashes.Count}");
        text.AppendLine($"  tables with rows stored: {RowsStored}  ({string.Join(", ", Rows.Select(r => $"{r.Key} {r.Value.Before}->{r.Value.After}"))})");
        text.AppendLine($"  transport errors (no HTTP answer; informative): {TransportErrors}");
        foreach (var error in ServerErrors.Take(20))
            text.AppendLine("  5xx: " + error);
        foreach (var error in TransportErrorSamples.Take(5))
            text.AppendLine("  transport: " + error);
        foreach (var crash in Crashes)
            text.AppendLine("  crash: " + crash);
        return text.ToString();
    }
}

/// <summary>
/// Sends generated malformed requests to one intake and one assignment process that work in a database
/// of their own, then checks the property: no 5xx, both processes still alive and ready, and not one row
/// more in the tables a filing or a custody command writes.
/// </summary>
public static class FuzzCampaign
{
    /// <summary>Tables counted before and after (schema-qualified, read-only counts).</summary>
    public static readonly string[] CountedTables =
        ["intake.complaints", "intake.idempotency_keys", "assignment.case_events", "assignment.handoffs", "assignment.directory_versions"];

    public static async Task<FuzzReport> RunAsync(
        FuzzGenerator generator,
        int requests,
        int concurrency,
        Uri intake,
        Uri assignment,
        string connectionString,
        Func<IReadOnlyList<string>> exitedProcesses,
        Action<string>? log = null)
    {
        var before = await CountRowsAsync(connectionString);
        var statuses = new ConcurrentDictionary<int, int>();
        var serverErrors = new ConcurrentQueue<string>();
        var transport = new ConcurrentQueue<string>();
        var serverErrorCount = 0;
        var transportCount = 0;
        var crashes = new List<string>();
        using var http = new HttpClient(new SocketsHttpHandler
        {
            // Garbage header values go out as raw UTF-8 bytes instead of being refused by the client.
            RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = concurrency * 2,
        })
        { Timeout = TimeSpan.FromSeconds(30) };

        var next = -1;
        var done = 0;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var request = generator.Generate(i);
                var (status, detail) = await SendAsync(http, request, request.Service == FuzzService.Intake ? intake : assignment);
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                if (status >= 500)
                {
                    Interlocked.Increment(ref serverErrorCount);
                    if (serverErrors.Count < 200)
                        serverErrors.Enqueue($"{status} {request.Describe()} :: {detail}");
                }
                else if (status == 0)
                {
                    Interlocked.Increment(ref transportCount);
                    if (transport.Count < 50)
                        transport.Enqueue($"{request.Describe()} :: {detail}");
                }
                var count = Interlocked.Increment(ref done);
                if (count % 1000 == 0)
                    log?.Invoke($"fuzz: {count}/{requests} sent, 5xx so far {Volatile.Read(ref serverErrorCount)}");
            }
        }).ToList();
        await Task.WhenAll(workers);

        crashes.AddRange(exitedProcesses());
        foreach (var (name, address) in new[] { ("intake", intake), ("assignment", assignment) })
            if (!await ReadyAsync(http, address, TimeSpan.FromSeconds(30)))
                crashes.Add($"{name} at {address} is not ready (GET /health/ready) 30 s after the campaign");
        // Anything a consumer would still write because of an accepted request has had time to land.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var after = await CountRowsAsync(connectionString);
        var rows = CountedTables.ToDictionary(t => t, t => (before[t], after[t]));
        return new FuzzReport(generator.Seed, requests, statuses.ToDictionary(s => s.Key, s => s.Value), [.. serverErrors], serverErrorCount,
            transportCount, [.. transport], crashes, rows);
    }

    private static async Task<(int Status, string Detail)> SendAsync(HttpClient http, FuzzRequest request, Uri service)
    {
        try
        {
            using var message = new HttpRequestMessage(request.Method, new Uri(service, request.PathAndQuery));
            if (request.Body is not null || request.ContentType is not null)
            {
                message.Content = new ByteArrayContent(request.Body ?? []);
                message.Content.Headers.ContentType = null;
                if (request.ContentType is not null)
                    message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
            foreach (var (name, value) in request.Headers)
                message.Headers.TryAddWithoutValidation(name, value);
            // Each request on a connection of its own: the server closes a connection after refusing an oversized body,
            // and a request sent on a pooled one just as it closed got no answer through no fault of its own.
            message.Headers.ConnectionClose = true;
            using var response = await http.SendAsync(message);
            var status = (int)response.StatusCode;
            var detail = status >= 500 ? Shorten(await response.Content.ReadAsStringAsync(), 400) : "";
            return (status, detail);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException or InvalidOperationException or FormatException)
        {
            // The outer message of a failed send says only that it failed; the innermost one says how (reset, closed early).
            var cause = exception.GetBaseException();
            var how = ReferenceEquals(cause, exception) ? "" : $" <- {cause.GetType().Name}: {Shorten(cause.Message, 200)}";
            return (0, $"{exception.GetType().Name}: {Shorten(exception.Message, 200)}{how}");
        }
    }

    public static async Task<bool> ReadyAsync(HttpClient http, Uri service, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(service, "/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                    return true;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(250);
        }
        return false;
    }

    public static async Task<Dictionary<string, long>> CountRowsAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        var counts = new Dictionary<string, long>();
        foreach (var table in CountedTables)
        {
            await using var command = new NpgsqlCommand($"select count(*) from {table}", connection);
            counts[table] = (long)(await command.ExecuteScalarAsync())!;
        }
        return counts;
    }

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}
