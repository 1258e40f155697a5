using System.Net;
using System.Net.Http.Json;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Intake.Tests;

[Collection(nameof(IntakeService))]
public sealed class RateLimitTests
{
    [Fact]
    public async Task Public_filing_beyond_the_limit_gets_429_problem_json_with_retry_after()
    {
        // A process of its own with a tiny limit, so other tests' filings do not count against it.
        await using var strict = await ServiceProcess.StartAsync("Intake", IntakeService.Settings(publicPermits: 2));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejected = null;
        for (var i = 0; i < 3; i++)
        {
            var response = await strict.Client.PostAsJsonAsync("/api/public/complaints", new
            {
                category = "other",
                narrative = $"Rate limit probe {IntakeService.NewMarker()}",
                complainant = new { anonymous = true },
            });
            statuses.Add(response.StatusCode);
            rejected = response;
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal("application/problem+json", rejected!.Content.Headers.ContentType?.MediaType);
        Assert.True(rejected.Headers.RetryAfter is not null, "429 carries Retry-After");
    }
}
