using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Accountability.Contracts.Escalation;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>GET /api/clocks?caseIds=: the clocks of a board's worth of cases in one request.</summary>
[Collection(nameof(EscalationFixture))]
public sealed class BatchClockTests(EscalationFixture fixture)
{
    private IsolatedEscalation Host => fixture.Host;

    [Fact]
    public async Task Each_known_case_gets_exactly_the_clocks_of_the_single_case_read_in_the_order_asked_and_unknown_cases_are_absent()
    {
        var now = await Host.NowAsync();
        var first = await CaseScript.RoutedAsync(Host, "force", "p-1014", now);
        var second = await CaseScript.RoutedAsync(Host, "discourtesy", "p-1015", now, anonymous: false);
        foreach (var (script, owner) in new[] { (first, "p-1014"), (second, "p-1015") })
            await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge,
                c => c.GetProperty("ownerId").GetString() == owner && c.GetProperty("dueAt").ValueKind == JsonValueKind.String, $"{owner}'s clock runs");
        await Host.WaitForClockAsync(second.CaseId, SlaClocks.FirstContact, _ => true, "the identified complainant's first-contact clock runs");
        var unknown = Guid.NewGuid();

        using var response = await GetAsync($"/api/clocks?caseIds={second.CaseId},{unknown}, {first.CaseId},{second.CaseId}", TestTokens.For("p-1009", Roles.Dispatcher));
        var board = await IsolatedEscalation.ReadAsync(response);

        Assert.Equal([second.CaseId, first.CaseId], board.EnumerateArray().Select(c => c.GetProperty("caseId").GetGuid()));
        // The manual clock stands still, so the single-case read must give the very same JSON.
        foreach (var entry in board.EnumerateArray())
        {
            var single = await Host.ClocksAsync(entry.GetProperty("caseId").GetGuid());
            Assert.Equal(single.GetRawText(), entry.GetProperty("clocks").GetRawText());
            Assert.Contains(entry.GetProperty("clocks").EnumerateArray(), c => c.GetProperty("clock").GetString() == SlaClocks.Acknowledge);
        }
        Assert.Contains(board[0].GetProperty("clocks").EnumerateArray(), c => c.GetProperty("clock").GetString() == SlaClocks.FirstContact);
    }

    [Fact]
    public async Task Case_workers_and_auditors_who_may_see_the_case_may_read_and_anyone_without_a_role_may_not()
    {
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", await Host.NowAsync());
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the clock runs");
        var path = $"/api/clocks?caseIds={script.CaseId}";

        // Each token is a person who holds that role in the directory: a token only narrows the directory's roles. Each may
        // also see the case (need-to-know; who may not is in ClockNeedToKnowTests): the owner, his chain, the board, auditors.
        foreach (var (person, role) in new[]
                 {
                     ("p-1009", Roles.Dispatcher), ("p-1014", Roles.Investigator), ("p-1012", Roles.Supervisor),
                     ("p-1011", Roles.Commander), ("p-1005", Roles.Admin), ("p-1004", Roles.Auditor),
                 })
        {
            using var allowed = await GetAsync(path, TestTokens.For(person, role));
            Assert.Equal(1, (await IsolatedEscalation.ReadAsync(allowed)).GetArrayLength());
        }
        using var noRole = await GetAsync(path, TestTokens.For("member-of-the-public"));
        using var noToken = await GetAsync(path, null);
        Assert.Equal(HttpStatusCode.Forbidden, noRole.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
    }

    public static TheoryData<string> BadCaseIds => new()
    {
        "/api/clocks",
        "/api/clocks?caseIds=",
        "/api/clocks?caseIds=%20",
        "/api/clocks?caseIds=not-a-guid",
        $"/api/clocks?caseIds={Guid.NewGuid()},,{Guid.NewGuid()}",
        $"/api/clocks?caseIds={Guid.NewGuid()};{Guid.NewGuid()}",
        $"/api/clocks?caseIds={string.Join(',', Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()))}",
    };

    [Theory]
    [MemberData(nameof(BadCaseIds))]
    public async Task Case_ids_that_are_missing_not_GUIDs_or_more_than_100_get_a_field_level_400(string path)
    {
        using var response = await GetAsync(path, TestTokens.For("p-1009", Roles.Dispatcher));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty("caseIds", out _), text);
    }

    [Fact]
    public async Task A_hundred_case_ids_are_accepted()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid()).ToList();
        using var response = await GetAsync($"/api/clocks?caseIds={string.Join(',', ids)}", TestTokens.For("p-1009", Roles.Dispatcher));
        Assert.Equal(0, (await IsolatedEscalation.ReadAsync(response)).GetArrayLength());
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Host.Process.Client.SendAsync(request);
    }
}
