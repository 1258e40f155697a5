using System.Net;
using System.Text.Json;
using Accountability.Contracts.Audit;
using Accountability.Contracts.Escalation;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// The escalation list obeys need-to-know as the clock reads do (docs/security.md §2), asking the real assignment process
/// with the caller's own token; and a confidential case seen only as the board sees it (dispatchers, admins) shows no
/// deadlines there either. The subject officer is p-1028 (badge 1544), below p-1027 and p-1026; the owner p-1014 reports
/// to p-1012, then p-1011 (internal-affairs command).
/// </summary>
[Collection(nameof(EscalationFixture))]
public sealed class EscalationNeedToKnowTests(EscalationFixture fixture)
{
    private IsolatedEscalation Host => fixture.Host;

    [Fact]
    public async Task The_subjects_chain_gets_none_of_the_cases_escalations_not_even_by_its_id_while_the_owners_chain_sees_them()
    {
        var start = await Host.NowAsync();
        var complaint = await CaseScript.RoutedAsync(Host, "force", "p-1014", start, subjectBadges: ["1544"]);
        // A case the subject's chain may see (the subject owns it), so the list shows it filters rather than answering nothing.
        var own = await CaseScript.RoutedAsync(Host, "misconduct", "p-1028", start);
        await Host.WaitForClockAsync(complaint.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the complaint's clock runs");
        await Host.WaitForClockAsync(own.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1028", "the subject's own case's clock runs");

        // Nobody acknowledges either: both are escalated to the owner's supervisor.
        await Host.AdvanceToAsync(start.AddMinutes(121));
        await Host.WaitForAsync<EscalationRaised>(complaint.CaseId, _ => true, "the complaint is escalated");
        await Host.WaitForAsync<EscalationRaised>(own.CaseId, _ => true, "the subject's own case is escalated");

        foreach (var (person, role) in new[] { ("p-1012", Roles.Supervisor), ("p-1011", Roles.Commander), ("p-1004", Roles.Auditor), ("p-1009", Roles.Dispatcher) })
        {
            var rows = await Eventually.ReturnsAsync(() => EscalationsAsync($"?caseId={complaint.CaseId}", TestTokens.For(person, role)),
                r => r.Count > 0, $"{person} sees the complaint's escalation");
            Assert.All(rows, r => Assert.Equal(complaint.CaseId, r.GetProperty("caseId").GetGuid()));
            Assert.Contains(complaint.CaseId, (await EscalationsAsync("?limit=500", TestTokens.For(person, role))).Select(r => r.GetProperty("caseId").GetGuid()));
        }

        var missing = Guid.NewGuid();
        foreach (var (person, role) in new[] { ("p-1027", Roles.Supervisor), ("p-1026", Roles.Commander) })
        {
            var token = TestTokens.For(person, role);
            var listed = (await EscalationsAsync("?limit=500", token)).Select(r => r.GetProperty("caseId").GetGuid()).ToList();
            Assert.DoesNotContain(complaint.CaseId, listed);
            Assert.Contains(own.CaseId, listed);

            // Probing by id answers exactly as for a case with no escalations.
            using var hidden = await GetAsync($"/api/escalations?caseId={complaint.CaseId}", token);
            using var unknown = await GetAsync($"/api/escalations?caseId={missing}", token);
            Assert.Equal((HttpStatusCode.OK, "[]"), (hidden.StatusCode, await hidden.Content.ReadAsStringAsync()));
            Assert.Equal((HttpStatusCode.OK, "[]"), (unknown.StatusCode, await unknown.Content.ReadAsStringAsync()));
        }

        // The access log knows the probes were refusals.
        var records = await Eventually.ReturnsAsync(() => AccessRecordsAsync(complaint.CaseId, "escalations-read"),
            r => r.Count(x => x.GetProperty("outcome").GetString() == "denied") >= 2, "the two refused probes are recorded");
        Assert.Equal(new[] { "p-1026", "p-1027" },
            records.Where(r => r.GetProperty("outcome").GetString() == "denied").Select(r => r.GetProperty("userId").GetString()).Order());
        Assert.Contains(records, r => r.GetProperty("userId").GetString() == "p-1012" && r.GetProperty("outcome").GetString() == "granted");
    }

    [Fact]
    public async Task A_confidential_case_shows_dispatchers_and_admins_no_clocks_and_no_escalations_while_its_team_and_internal_affairs_see_them()
    {
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", start);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the clock runs");
        using (var marked = await Host.Assignment.SendAsync(HttpMethod.Post, $"/api/cases/{script.CaseId}/confidential", TestTokens.For("p-1011", Roles.Commander),
                   new { reason = "The complainant is a serving officer", team = new[] { "p-1014" } }))
            Assert.True(marked.IsSuccessStatusCode, $"{(int)marked.StatusCode} {await marked.Content.ReadAsStringAsync()}");
        await Host.AdvanceToAsync(start.AddMinutes(121));
        await Host.WaitForAsync<EscalationRaised>(script.CaseId, _ => true, "the case is escalated");

        // The owner (on the team), internal-affairs command and the auditor: the clocks and the escalation.
        foreach (var (person, role) in new[] { ("p-1014", Roles.Investigator), ("p-1011", Roles.Commander), ("p-1004", Roles.Auditor) })
        {
            var token = TestTokens.For(person, role);
            using var single = await GetAsync($"/api/cases/{script.CaseId}/clocks", token);
            Assert.Contains((await IsolatedEscalation.ReadAsync(single)).EnumerateArray(), c => c.GetProperty("dueAt").ValueKind == JsonValueKind.String);
            using var batch = await GetAsync($"/api/clocks?caseIds={script.CaseId}", token);
            Assert.Equal(script.CaseId, (await IsolatedEscalation.ReadAsync(batch)).EnumerateArray().Single().GetProperty("caseId").GetGuid());
            if (role != Roles.Investigator)
                Assert.NotEmpty(await Eventually.ReturnsAsync(() => EscalationsAsync($"?caseId={script.CaseId}", token), r => r.Count > 0, $"{person} sees the escalation"));
        }

        // Dispatchers and admins see the case on the board, masked: none of its deadlines, here or in the escalations.
        foreach (var (person, role) in new[] { ("p-1009", Roles.Dispatcher), ("p-1005", Roles.Admin) })
        {
            var token = TestTokens.For(person, role);
            using var single = await GetAsync($"/api/cases/{script.CaseId}/clocks", token);
            Assert.Equal((HttpStatusCode.OK, "[]"), (single.StatusCode, await single.Content.ReadAsStringAsync()));
            using var batch = await GetAsync($"/api/clocks?caseIds={script.CaseId}", token);
            Assert.Equal((HttpStatusCode.OK, "[]"), (batch.StatusCode, await batch.Content.ReadAsStringAsync()));
            Assert.Empty(await EscalationsAsync($"?caseId={script.CaseId}", token));
            Assert.DoesNotContain(script.CaseId, (await EscalationsAsync("?limit=500", token)).Select(r => r.GetProperty("caseId").GetGuid()));
        }

        // The owner's supervisor is not on the team: the case does not exist for him.
        using var chain = await GetAsync($"/api/cases/{script.CaseId}/clocks", TestTokens.For("p-1012", Roles.Supervisor));
        Assert.Equal(HttpStatusCode.NotFound, chain.StatusCode);
    }

    [Fact]
    public async Task A_bad_query_gets_a_field_level_reason_and_when_assignment_cannot_answer_the_list_fails_closed_with_503()
    {
        using var bad = await GetAsync("/api/escalations?caseId=IA-2026-00042&limit=0&offset=-1", TestTokens.For("p-1004", Roles.Auditor));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Equal(new[] { "caseId", "limit", "offset" }, errors.EnumerateObject().Select(e => e.Name).Order());

        // An escalation to list, so that the list has a case to ask about.
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", start);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the clock runs");
        await Host.AdvanceToAsync(start.AddMinutes(121));
        await Host.WaitForAsync<EscalationRaised>(script.CaseId, _ => true, "the case is escalated");
        var cut = await Host.StartInstanceAsync(await Host.NowAsync(), new Dictionary<string, string> { ["Escalation__AssignmentUrl"] = $"http://127.0.0.1:{FreePort()}" });
        try
        {
            foreach (var path in new[] { "/api/escalations", $"/api/escalations?caseId={script.CaseId}" })
            {
                using var response = await IsolatedEscalation.SendAsync(cut, HttpMethod.Get, path, TestTokens.For("p-1004", Roles.Auditor));
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
        finally
        {
            await Host.StopInstanceAsync(cut);
        }
    }

    private Task<HttpResponseMessage> GetAsync(string path, string token) => IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Get, path, token);

    private async Task<List<JsonElement>> EscalationsAsync(string query, string token)
    {
        using var response = await GetAsync($"/api/escalations{query}", token);
        return (await IsolatedEscalation.ReadAsync(response)).EnumerateArray().ToList();
    }

    /// <summary>The access records escalation has sent for one case, through its outbox to the audit service.</summary>
    private async Task<List<JsonElement>> AccessRecordsAsync(Guid caseId, string eventType)
    {
        await using var connection = await TestDatabase.OpenAsync(Host.Schema);
        var bodies = await connection.QueryAsync<string>(
            "select body::text from outbox where message_type like @type and body->>'caseId' = @caseId and body->>'eventType' = @eventType order by seq",
            new { type = $"{typeof(CaseDataAccessed).FullName},%", caseId = caseId.ToString(), eventType });
        return bodies.Select(b => JsonDocument.Parse(b).RootElement.Clone()).ToList();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
