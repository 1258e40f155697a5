using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>Every service guards its API the same way; /api/ops/outbox is an admin-only endpoint each one has.</summary>
[Collection(nameof(FiveServices))]
public sealed class AuthTests(FiveServices services)
{
    public static TheoryData<string> ServiceNames => new(FiveServices.Names);

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task A_request_without_a_token_gets_401_as_problem_json(string name)
    {
        var response = await SendAsync(name, token: null);
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task A_token_with_the_wrong_role_gets_403_as_problem_json(string name)
    {
        var response = await SendAsync(name, TestTokens.For("p-1001", Roles.Investigator));
        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task A_token_signed_by_another_key_gets_401_as_problem_json(string name)
    {
        var response = await SendAsync(name, TestTokens.ForeignlySigned("p-1001", Roles.Admin));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task An_expired_token_gets_401_as_problem_json(string name)
    {
        var response = await SendAsync(name, TestTokens.Expired("p-1001", Roles.Admin));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task A_garbage_bearer_value_gets_401_as_problem_json(string name)
    {
        var response = await SendAsync(name, "not.a.jwt");
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task An_admin_token_reads_the_outbox_status(string name)
    {
        using var response = await SendAsync(name, TestTokens.For("p-1005", Roles.Admin));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(name.ToLowerInvariant(), body.RootElement.GetProperty("schema").GetString());
        Assert.True(body.RootElement.GetProperty("pending").GetInt64() >= 0);
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task An_unknown_route_gets_404_as_problem_json(string name)
    {
        var service = services.All.Single(s => s.Name == name);
        var response = await service.Client.GetAsync("/api/no-such-thing");
        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task An_oversized_body_gets_413_as_problem_json(string name)
    {
        var service = services.All.Single(s => s.Name == name);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ops/outbox")
        {
            Content = new ByteArrayContent(new byte[2 * 1024 * 1024]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For("p-1005", Roles.Admin));
        // Wait for the server's go-ahead: it refuses before the upload, instead of breaking the pipe mid-way.
        request.Headers.ExpectContinue = true;
        var response = await service.Client.SendAsync(request);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    private async Task<HttpResponseMessage> SendAsync(string name, string? token)
    {
        var service = services.All.Single(s => s.Name == name);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/ops/outbox");
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await service.Client.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            Assert.Equal(expected, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal((int)expected, body.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("title").GetString()));
        }
    }
}
