using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Accountability.Chaos;

/// <summary>One complaint the system accepted (a 201 with its caseId): the ground truth the checker counts against.</summary>
public sealed record Accepted(int Index, string IdempotencyKey, string Email, Guid CaseId, DateTimeOffset AcceptedAt, int Attempts);

/// <summary>
/// Files complaints at an offered rate through whichever intake instances run. A POST that times out,
/// fails to connect or gets a 5xx/429 is retried with the same Idempotency-Key and the same body, so a
/// complaint is accepted once however many times it is sent. Each complainant is identified, with an
/// address of their own, so their receipt e-mail can be counted.
/// </summary>
public sealed class Load(Cluster cluster, string clerkToken, string run)
{
    private static readonly string[] Categories = ["force", "abuse-of-authority", "discourtesy", "offensive-language", "lack-of-service", "misconduct", "other"];

    private readonly ConcurrentBag<Accepted> accepted = [];
    private readonly ConcurrentQueue<string> refusals = new();
    private readonly ConcurrentQueue<int> abandoned = new();
    private readonly HttpClient http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30), ConnectTimeout = TimeSpan.FromSeconds(3) })
    {
        Timeout = TimeSpan.FromSeconds(15),
    };
    private int retries;
    private int givenUp;
    private int next = -1;
    private int offered;

    public int AcceptedCount => accepted.Count;

    /// <summary>Complaints offered so far: the count asked for, or more when the faults outlasted it.</summary>
    public int Offered => Volatile.Read(ref offered);

    public IReadOnlyCollection<Accepted> AcceptedComplaints => accepted;

    public int Retries => retries;

    public int GivenUp => givenUp;

    public IReadOnlyCollection<string> Refusals => refusals;

    public static string EmailOf(string run, int index) => $"chaos-{run}-{index}@complainants.test";

    /// <summary>
    /// Offers <paramref name="count"/> complaints at <paramref name="rate"/> per second, at most <paramref name="concurrency"/> in
    /// flight, and goes on at that rate until <paramref name="offerUntil"/> completes: every scripted fault must begin under load,
    /// and on a loaded machine one broker restart alone took from 15 s to 76 s.
    /// </summary>
    public async Task RunAsync(int count, double rate, int concurrency, TimeSpan giveUpAfter, Task offerUntil, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while (((i = Interlocked.Increment(ref next)) < count || !offerUntil.IsCompleted) && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref offered);
                var due = TimeSpan.FromSeconds(i / rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                    await Task.Delay(due, cancellationToken);
                await FileAsync(i, giveUpAfter, cancellationToken);
            }
        }).ToList();
        await Task.WhenAll(workers);
    }

    /// <summary>After the faults: the complaints given up on are sent once more, with their own keys, to learn what became of them.</summary>
    public async Task RetryAbandonedAsync(CancellationToken cancellationToken)
    {
        var indices = new List<int>();
        while (abandoned.TryDequeue(out var index))
            indices.Add(index);
        foreach (var index in indices)
            await FileAsync(index, TimeSpan.FromMinutes(2), cancellationToken);
    }

    private async Task FileAsync(int index, TimeSpan giveUpAfter, CancellationToken cancellationToken)
    {
        var key = $"chaos-{run}-{index}";
        var email = EmailOf(run, index);
        var body = JsonSerializer.Serialize(new
        {
            category = Categories[index % Categories.Length],
            narrative = $"Chaos complaint {run}-{index}: the officer shouted at me outside the library and would not give a badge number.",
            channel = "phone",
            district = ((index % 5) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            complainant = new { name = $"Chaos Complainant {index}", email },
        });
        var started = Stopwatch.StartNew();
        var attempts = 0;
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!cancellationToken.IsCancellationRequested)
        {
            attempts++;
            var intakes = cluster.Wanted("Intake");
            var target = intakes[(index + attempts) % intakes.Count];
            string outcome;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(target.BaseAddress, "/api/complaints"))
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", clerkToken);
                request.Headers.Add("Idempotency-Key", key);
                using var response = await http.SendAsync(request, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.Created || response.StatusCode == HttpStatusCode.OK)
                {
                    var caseId = JsonDocument.Parse(text).RootElement.GetProperty("caseId").GetGuid();
                    accepted.Add(new Accepted(index, key, email, caseId, DateTimeOffset.UtcNow, attempts));
                    return;
                }
                var status = (int)response.StatusCode;
                if (status < 500 && status != 429 && status != 408)
                {
                    // A definite refusal of a valid complaint (a 409 here would mean the retry was not recognised).
                    refusals.Enqueue($"complaint {index} (attempt {attempts}, {target.Label}): {status} {text[..Math.Min(text.Length, 300)]}");
                    return;
                }
                outcome = $"{status}";
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
            {
                if (cancellationToken.IsCancellationRequested)
                    return;
                outcome = exception.GetType().Name;
            }
            _ = outcome;
            Interlocked.Increment(ref retries);
            if (started.Elapsed > giveUpAfter)
            {
                Interlocked.Increment(ref givenUp);
                abandoned.Enqueue(index);
                refusals.Enqueue($"complaint {index}: gave up after {attempts} attempts in {started.Elapsed.TotalSeconds:0} s (last: {outcome})");
                return;
            }
            await Task.Delay(backoff, cancellationToken);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5_000));
        }
    }
}
