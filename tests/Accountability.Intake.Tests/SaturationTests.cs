using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Accountability.TestSupport;
using Dapper;
using Npgsql;
using Xunit;

namespace Accountability.Intake.Tests;

[Collection(nameof(IntakeService))]
public sealed class SaturationTests
{
    [Fact]
    public async Task A_burst_queued_on_the_case_number_counter_waits_past_the_pool_timeout_and_is_filed_whole_once_it_comes_free_while_a_read_that_finds_no_connection_gets_503_with_retry_after()
    {
        // A process of its own with a pool of two, whose callers give up waiting for a connection after one second:
        // one connection is the relay's LISTEN, the other the filing batch's.
        var settings = IntakeService.Settings();
        settings["ConnectionStrings__Accountability"] =
            new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString) { MaxPoolSize = 2, Timeout = 1 }.ConnectionString;
        await using var small = await ServiceProcess.StartAsync("Intake", settings);

        // The year's case-number row is held here, as a long commit would hold it during a burst: the batch waits on it.
        var year = DateTimeOffset.UtcNow.Year;
        await using var holder = await TestDatabase.OpenAsync("intake");
        await holder.ExecuteAsync("insert into case_number_sequences (year, last) values (@year, 0) on conflict (year) do nothing", new { year });
        await using var hold = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("select last from case_number_sequences where year = @year for update", new { year }, hold);

        var marker = IntakeService.NewMarker();
        async Task<(HttpStatusCode StatusCode, string Body)> FileAsync(int i)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/complaints")
            {
                Content = JsonContent.Create(IntakeService.ClerkComplaint($"{marker}-{i}")),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(IntakeService.ClerkId, "intake-clerk"));
            using var response = await small.Client.SendAsync(request);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }
        var filings = new List<Task<(HttpStatusCode StatusCode, string Body)>> { FileAsync(0) };

        // Once the batch waits on the counter, it holds the pool's last connection: a read now finds none and is told to come back.
        // (Asked on a connection of its own: inside the holder's transaction pg_stat_activity would stay as first read.)
        await using var watcher = await TestDatabase.OpenAsync("intake");
        await Eventually.HoldsAsync(async () => await watcher.ExecuteScalarAsync<long>(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like '%case_number_sequences%' and pid <> pg_backend_pid()") > 0,
            "the filing batch waits on the counter row");
        using (var read = await small.Client.GetAsync("/api/public/status/RPD-2345-6789-ABCD"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
            Assert.Equal("application/problem+json", read.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(5), read.Headers.RetryAfter?.Delta);
            Assert.Contains("Too busy right now", await read.Content.ReadAsStringAsync());
        }

        // The rest of the burst arrives meanwhile. Their batches find no connection either, for longer than the pool's
        // timeout (one second here), and wait for one instead of being refused: a complaint is never refused for load.
        filings.AddRange(Enumerable.Range(1, 7).Select(FileAsync));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(filings, f => f.IsCompleted); // the filings wait, holding no connection, and are not refused

        await hold.RollbackAsync();
        var answers = await Task.WhenAll(filings);

        // Every filing of the burst was taken, each once, with gapless numbers.
        Assert.All(answers, a => Assert.True(a.StatusCode == HttpStatusCode.Created, $"{(int)a.StatusCode}: {a.Body}"));
        var numbers = (await holder.QueryAsync<string>("select case_number from complaints where narrative like @pattern", new { pattern = $"%{marker}-%" }))
            .Select(n => int.Parse(n[(n.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal(8, numbers.Count);
        Assert.Equal(Enumerable.Range(numbers[0], 8), numbers);
    }
}
