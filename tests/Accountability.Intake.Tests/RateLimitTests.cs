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

    [Fact]
    public async Task The_public_Open311_list_and_single_request_beyond_the_limit_get_429_in_the_specs_error_format_with_retry_after()
    {
        // Issue 17, finding 6: the public list must not be scraped. A process of its own with a tiny read limit.
        // Under /open311 every error is GeoReport v2's [{code, description}] (Open311ErrorFormat), the limiter's 429 too.
        var settings = IntakeService.Settings();
        settings["Intake__PublicStatusLimit__PermitLimit"] = "2";
        await using var strict = await ServiceProcess.StartAsync("Intake", settings);

        var statuses = new List<HttpStatusCode>();
        foreach (var path in new[] { "/open311/v2/requests.json", "/open311/v2/requests.xml", "/open311/v2/requests.json", $"/open311/v2/requests/{Guid.NewGuid()}.json" })
        {
            using var response = await strict.Client.GetAsync(path);
            statuses.Add(response.StatusCode);
            if (response.StatusCode != HttpStatusCode.TooManyRequests)
                continue;
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(response.Headers.RetryAfter is not null, "429 carries Retry-After");
            var error = Assert.Single(System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
            Assert.Equal(429, error.GetProperty("code").GetInt32());
            Assert.Contains("Too many requests", error.GetProperty("description").GetString());
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit_and_elsewhere_the_header_is_ignored()
    {
        var trusting = IntakeService.Settings(publicPermits: 2);
        trusting["Intake__TrustedProxies__0"] = "127.0.0.1";
        await using var behindConsole = await ServiceProcess.StartAsync("Intake", trusting);
        await using var direct = await ServiceProcess.StartAsync("Intake", IntakeService.Settings(publicPermits: 2));

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.Created],
            [await FileAsync(behindConsole, "203.0.113.7"), await FileAsync(behindConsole, "203.0.113.7"),
             await FileAsync(behindConsole, "203.0.113.7"), await FileAsync(behindConsole, "198.51.100.20")]);
        // Not configured to trust anyone: a caller cannot escape its limit by naming another address.
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests],
            [await FileAsync(direct, "203.0.113.1"), await FileAsync(direct, "203.0.113.2"), await FileAsync(direct, "203.0.113.3")]);
    }

    [Fact]
    public async Task A_client_cannot_escape_its_limit_by_prepending_made_up_addresses_to_the_forwarded_header()
    {
        // Issue 17, finding 11: a comma-separated X-Forwarded-For through a trusted proxy gave every request a new address.
        var trusting = IntakeService.Settings(publicPermits: 2);
        trusting["Intake__TrustedProxies__0"] = "127.0.0.1";
        await using var behindConsole = await ServiceProcess.StartAsync("Intake", trusting);

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            [await FileAsync(behindConsole, "10.0.0.1, 203.0.113.7"), await FileAsync(behindConsole, "10.0.0.2,203.0.113.7"),
             await FileAsync(behindConsole, "10.0.0.3, 203.0.113.7"), await FileAsync(behindConsole, "203.0.113.7, 10.0.0.4")]);
    }

    private static async Task<HttpStatusCode> FileAsync(ServiceProcess intake, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/public/complaints")
        {
            Content = JsonContent.Create(new { category = "other", narrative = $"Proxy probe {IntakeService.NewMarker()}", complainant = new { anonymous = true } }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await intake.Client.SendAsync(request);
        return response.StatusCode;
    }
}
