using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>Every write endpoint answers bad input with a 4xx problem+json, stores nothing, and never answers 5xx.</summary>
[Collection(nameof(AssignmentService))]
public sealed class BadInputTests(AssignmentService service)
{
    /// <summary>Each write endpoint with a body that is valid in shape, so only the corruption under test is wrong.</summary>
    public static TheoryData<string, string> WriteEndpoints => new()
    {
        { "/api/cases/{case}/handoffs", """{"toPersonId":"p-1014","reason":"r"}""" },
        { "/api/handoffs/{handoff}/decline", """{"reason":"r"}""" },
        { "/api/handoffs/{handoff}/cancel", """{"reason":"r"}""" },
        { "/api/cases/{case}/findings", """{"allegationId":"a","finding":"sustained"}""" },
        { "/api/cases/{case}/resolve", """{"reason":"r"}""" },
        { "/api/cases/{case}/reopen", """{"reason":"r"}""" },
        { "/api/cases/{case}/reassign", """{"toPersonId":"p-1014","reason":"r"}""" },
        { "/api/cases/{case}/acknowledge", "" },
        { "/api/cases/{case}/contacts", """{"method":"phone","note":"n"}""" },
        { "/api/handoffs/{handoff}/accept", "" },
    };

    public static TheoryData<string, string, string> Corruptions()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var row in WriteEndpoints)
        {
            var (path, body) = ((string)row[0], (string)row[1]);
            data.Add(path, "malformed JSON", body.Length == 0 ? "{" : body[..^1]);
            data.Add(path, "wrong types", body.Length == 0 ? "[1]" : """{"reason":42,"toPersonId":["x"],"allegationId":{},"finding":true}""");
            data.Add(path, "unknown field", """{"reason":"r","owner":"me"}""");
            data.Add(path, "invalid UTF-8", "\u00ff");
            data.Add(path, "oversized body", new string('x', 2 * 1024 * 1024));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task A_corrupt_body_gets_a_4xx_problem_and_changes_nothing(string path, string corruption, string body)
    {
        var (caseId, owner, handoffId) = await CaseWithPendingHandoffAsync();
        var before = await EventCountAsync(caseId);

        using var request = new HttpRequestMessage(HttpMethod.Post, Resolve(path, caseId, handoffId));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(owner, Roles.Supervisor));
        var bytes = corruption == "invalid UTF-8" ? [0x7B, 0x22, 0x72, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D] : Encoding.UTF8.GetBytes(body);
        request.Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        if (corruption == "oversized body")
            request.Headers.ExpectContinue = true; // lets the server refuse before the upload
        using var response = await service.Process.Client.SendAsync(request);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await EventCountAsync(caseId));
    }

    [Theory]
    [MemberData(nameof(WriteEndpoints))]
    public async Task A_missing_or_expired_token_gets_401_and_changes_nothing(string path, string body)
    {
        var (caseId, owner, handoffId) = await CaseWithPendingHandoffAsync();
        var before = await EventCountAsync(caseId);
        foreach (var token in new[] { null, TestTokens.Expired(owner, Roles.Supervisor) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Resolve(path, caseId, handoffId));
            if (token is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body.Length > 0)
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await service.Process.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(before, await EventCountAsync(caseId));
    }

    [Fact]
    public async Task An_unknown_case_or_handoff_gets_404()
    {
        var token = TestTokens.For("p-1011", Roles.Commander);
        using var unknownCase = await service.SendAsync(HttpMethod.Post, $"/api/cases/{Guid.NewGuid()}/acknowledge", token);
        using var unknownHandoff = await service.SendAsync(HttpMethod.Post, $"/api/handoffs/{Guid.NewGuid()}/accept", token);
        Assert.Equal(HttpStatusCode.NotFound, unknownCase.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownHandoff.StatusCode);
    }

    [Fact]
    public async Task An_unknown_person_gets_a_422_with_the_rules_reason_and_changes_nothing()
    {
        var (caseId, owner, _) = await CaseWithPendingHandoffAsync();
        var before = await EventCountAsync(caseId);
        using var response = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reassign", TestTokens.For("p-1011", Roles.Commander),
            new { toPersonId = "p-9999", reason = "Nobody by that id" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("person-unknown", problem.GetProperty("code").GetString());
        Assert.Equal(before, await EventCountAsync(caseId));
        Assert.NotNull(owner);
    }

    [Fact]
    public async Task SQL_metacharacters_in_a_reason_are_stored_verbatim()
    {
        var (caseId, owner, handoffId) = await CaseWithPendingHandoffAsync();
        const string reason = "Robert'); drop table custody; -- \"quoted\" \\ %_";
        using var response = await service.SendAsync(HttpMethod.Post, $"/api/handoffs/{handoffId}/cancel", TestTokens.For(owner, Roles.Investigator), new { reason });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var connection = await TestDatabase.OpenAsync("assignment");
        Assert.Equal(reason, await connection.ExecuteScalarAsync<string>("select decision_reason from handoffs where handoff_id = @handoffId", new { handoffId }));
    }

    [Fact]
    public async Task A_query_with_a_bad_filter_or_instant_gets_a_field_level_400()
    {
        var token = TestTokens.For("p-1009", Roles.Dispatcher);
        using var badStatus = await service.SendAsync(HttpMethod.Get, "/api/cases?status=lost", token);
        using var badLimit = await service.SendAsync(HttpMethod.Get, "/api/cases?limit=100000", token);
        using var badAt = await service.SendAsync(HttpMethod.Get, $"/api/cases/{Guid.NewGuid()}/custody?at=yesterday", token);
        foreach (var (response, field) in new[] { (badStatus, "status"), (badLimit, "limit"), (badAt, "at") })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}");
        }
    }

    /// <summary>Found by the fuzzer (seed 20260307): these once answered 500.</summary>
    [Theory]
    [InlineData("/api/cases?limit=", "limit")]
    [InlineData("/api/cases?limit=%ZZ", "limit")]
    [InlineData("/api/cases?limit=2147483648", "limit")]
    [InlineData("/api/cases?offset=1e309", "offset")]
    [InlineData("/api/cases?overdue=%ZZ", "overdue")]
    [InlineData("/api/cases/01a1fe41-f5d8-714a-91bd-f99790d1381e/custody?at=9999-12-31T23:59:59.9999999%2B14:00", "at")]
    public async Task A_query_value_the_fuzzer_found_gets_a_field_level_400_not_a_500(string path, string field)
    {
        using var response = await service.SendAsync(HttpMethod.Get, path, TestTokens.For("p-1009", Roles.Dispatcher));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}");
    }

    private async Task<(Guid CaseId, string Owner, Guid HandoffId)> CaseWithPendingHandoffAsync()
    {
        var complaint = await service.FileAsync("force", "5");
        var routed = await service.WaitForRoutingAsync(complaint.CaseId);
        var owner = routed.GetProperty("owner").GetProperty("id").GetString()!;
        var receiver = owner == "p-1014" ? "p-1015" : "p-1014";
        using var response = await service.SendAsync(HttpMethod.Post, $"/api/cases/{complaint.CaseId}/handoffs", TestTokens.For(owner, Roles.Investigator),
            new { toPersonId = receiver, reason = "Fixture" });
        var handoffId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("handoffId").GetGuid();
        return (complaint.CaseId, owner, handoffId);
    }

    private static string Resolve(string path, Guid caseId, Guid handoffId) =>
        path.Replace("{case}", caseId.ToString()).Replace("{handoff}", handoffId.ToString());

    private static async Task<long> EventCountAsync(Guid caseId)
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        return await connection.ExecuteScalarAsync<long>("select count(*) from case_events where case_id = @caseId", new { caseId });
    }
}
