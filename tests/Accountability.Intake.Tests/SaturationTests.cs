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
    public async Task When_no_database_connection_comes_free_a_filing_gets_503_with_retry_after_and_nothing_of_it_is_recorded()
    {
        // A process of its own with a small pool, whose callers give up waiting for a connection after one second.
        var settings = IntakeService.Settings();
        settings["ConnectionStrings__Accountability"] =
            new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString) { MaxPoolSize = 4, Timeout = 1 }.ConnectionString;
        await using var small = await ServiceProcess.StartAsync("Intake", settings);

        // The year's case-number row is held here, so every filing waits on it at its last statement, keeping its connection:
        // what a burst does to the pool when filings queue on the counter.
        var year = DateTimeOffset.UtcNow.Year;
        await using var holder = await TestDatabase.OpenAsync("intake");
        await holder.ExecuteAsync("insert into case_number_sequences (year, last) values (@year, 0) on conflict (year) do nothing", new { year });
        await using var hold = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("select last from case_number_sequences where year = @year for update", new { year }, hold);

        var marker = IntakeService.NewMarker();
        var filings = Enumerable.Range(0, 8).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/complaints")
            {
                Content = JsonContent.Create(IntakeService.ClerkComplaint($"{marker}-{i}")),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(IntakeService.ClerkId, "intake-clerk"));
            using var response = await small.Client.SendAsync(request);
            return (response.StatusCode, Type: response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter,
                Body: await response.Content.ReadAsStringAsync());
        }).ToList();

        // The first refusals come once a waiting filing has given up on the pool; then the counter is let go.
        await Task.WhenAny(Task.WhenAny(filings), Task.Delay(TimeSpan.FromSeconds(30)));
        await hold.RollbackAsync();
        var answers = await Task.WhenAll(filings);

        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable, $"{(int)a.StatusCode}: {a.Body}"));
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, a =>
        {
            Assert.Equal("application/problem+json", a.Type);
            Assert.Equal(TimeSpan.FromSeconds(5), a.RetryAfter?.Delta);
            Assert.Contains("Nothing was recorded", a.Body);
        });
        // A refused filing left no complaint behind; each accepted one is there once.
        var recorded = await IntakeService.QueryAsync<long>("select count(*) from complaints where narrative like @pattern", new { pattern = $"%{marker}-%" });
        Assert.Equal(answers.Count(a => a.StatusCode == HttpStatusCode.Created), recorded);
    }
}
