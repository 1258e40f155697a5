using System.Net;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>The anonymous transparency figures are limited per client; staff asking for their units' figures are not.</summary>
public sealed class PublicFiguresRateLimitTests
{
    [Fact]
    public async Task A_client_past_the_public_limit_gets_429_problem_json_with_retry_after_while_another_client_behind_the_console_still_gets_figures()
    {
        await using var host = await AuditTrailHost.StartAsync(consume: false, extra: new Dictionary<string, string>
        {
            ["Audit__PublicFiguresPermitLimit"] = "2",
            ["Audit__TrustedProxies__0"] = "127.0.0.1",
        });

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejected = null;
        for (var i = 0; i < 3; i++)
        {
            rejected = await PublicFiguresAsync(host, "203.0.113.7");
            statuses.Add(rejected.StatusCode);
        }
        var otherClient = await PublicFiguresAsync(host, "198.51.100.20");
        var supervisor = await host.GetAsync("/api/transparency/units", TestTokens.For("p-1013", Roles.Supervisor));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal("application/problem+json", rejected!.Content.Headers.ContentType?.MediaType);
        Assert.Contains("wait a little and try again", await rejected.Content.ReadAsStringAsync());
        var retryAfter = rejected.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter is { } wait && wait > TimeSpan.Zero && wait <= TimeSpan.FromMinutes(1), $"Retry-After is the rest of the minute's window, not {retryAfter}");
        Assert.Equal(HttpStatusCode.OK, otherClient.StatusCode);
        Assert.Equal(HttpStatusCode.OK, supervisor.StatusCode);
    }

    private static async Task<HttpResponseMessage> PublicFiguresAsync(AuditTrailHost host, string client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/public/transparency");
        request.Headers.Add("X-Forwarded-For", client);
        return await host.Process.Client.SendAsync(request);
    }
}
