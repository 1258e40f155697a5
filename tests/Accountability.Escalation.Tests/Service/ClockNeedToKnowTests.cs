using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Accountability.Contracts.Audit;
using Accountability.Contracts.Escalation;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// Clock reads obey need-to-know (docs/security.md §2): escalation asks the real assignment process, with the
/// caller's own token, who may see a case. The subject officer is p-1028 (badge 1544), below p-1027 and p-1026;
/// the owner p-1014 reports to p-1012, then p-1011 (internal-affairs command); p-1031 works in another district.
/// </summary>
[Collection(nameof(EscalationFixture))]
public sealed class ClockNeedToKnowTests(EscalationFixture fixture)
{
    private IsolatedEscalation Host => fixture.Host;

    [Fact]
    public async Task A_subject_officer_his_chain_and_an_unrelated_investigator_get_the_404_of_a_missing_case_and_the_batch_leaves_the_case_out()
    {
        var now = await Host.NowAsync();
        var complaint = await CaseScript.RoutedAsync(Host, "force", "p-1014", now, subjectBadges: ["1544"]);
        // A case the subject may see (he owns it), so the batch shows it filters rather than answering nothing.
        var own = await CaseScript.RoutedAsync(Host, "lack-of-service", "p-1028", now);
        await Host.WaitForClockAsync(complaint.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the complaint's clock runs");
        await Host.WaitForClockAsync(own.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1028", "the subject's own case's clock runs");
        var missing = Guid.NewGuid();

        foreach (var (person, role, seesOwnCase) in new[]
                 {
                     ("p-1028", Roles.Investigator, true), // the subject
                     ("p-1027", Roles.Supervisor, true),   // his sergeant
                     ("p-1026", Roles.Commander, true),    // his district commander
                     ("p-1031", Roles.Investigator, false), // an investigator with no relationship to either case
                 })
        {
            var token = TestTokens.For(person, role);
            using var hidden = await GetAsync($"/api/cases/{complaint.CaseId}/clocks", token);
            using var unknown = await GetAsync($"/api/cases/{missing}/clocks", token);
            Assert.True(hidden.StatusCode == HttpStatusCode.NotFound, $"{person}: {(int)hidden.StatusCode}");
            Assert.Equal(await ProblemAsync(unknown, missing), await ProblemAsync(hidden, complaint.CaseId));

            using var batch = await GetAsync($"/api/clocks?caseIds={complaint.CaseId},{own.CaseId},{missing}", token);
            var listed = (await IsolatedEscalation.ReadAsync(batch)).EnumerateArray().Select(c => c.GetProperty("caseId").GetGuid()).ToList();
            List<Guid> visible = seesOwnCase ? [own.CaseId] : [];
            Assert.Equal(visible, listed);
        }

        // Answered as if there were no such case; the access log knows it was a refusal.
        string[] refused = ["p-1026", "p-1027", "p-1028", "p-1031"];
        var records = await Eventually.ReturnsAsync(async () => (await AccessRecordsAsync(complaint.CaseId)).Where(r => refused.Contains(r.GetProperty("userId").GetString())).ToList(),
            r => r.Count >= 4, "the four refusals are recorded");
        Assert.All(records, r => Assert.Equal(("clocks-read", "denied", 404, "escalation"),
            (r.GetProperty("eventType").GetString(), r.GetProperty("outcome").GetString(), r.GetProperty("statusCode").GetInt32(), r.GetProperty("component").GetString())));
        Assert.Equal(refused, records.Select(r => r.GetProperty("userId").GetString()).Order());
        var unknownRecords = await Eventually.ReturnsAsync(() => AccessRecordsAsync(missing), r => r.Count >= 4, "the reads of a missing case are recorded");
        Assert.All(unknownRecords, r => Assert.Equal("not-found", r.GetProperty("outcome").GetString()));
    }

    [Fact]
    public async Task The_owner_his_chain_a_dispatcher_an_admin_internal_affairs_command_and_an_auditor_get_the_same_clocks()
    {
        var now = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", now, subjectBadges: ["1544"]);
        var expected = await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the clock runs");

        foreach (var (person, role) in new[]
                 {
                     ("p-1014", Roles.Investigator), ("p-1012", Roles.Supervisor), ("p-1009", Roles.Dispatcher), ("p-1005", Roles.Admin),
                     ("p-1011", Roles.Commander), ("p-1004", Roles.Auditor),
                 })
        {
            var token = TestTokens.For(person, role);
            using var single = await GetAsync($"/api/cases/{script.CaseId}/clocks", token);
            var clocks = await IsolatedEscalation.ReadAsync(single);
            Assert.Equal(expected.GetRawText(), clocks.EnumerateArray().Single(c => c.GetProperty("clock").GetString() == SlaClocks.Acknowledge).GetRawText());

            using var batch = await GetAsync($"/api/clocks?caseIds={script.CaseId}", token);
            var board = await IsolatedEscalation.ReadAsync(batch);
            Assert.Equal(clocks.GetRawText(), board.EnumerateArray().Single().GetProperty("clocks").GetRawText());
        }
        var auditor = await Eventually.ReturnsAsync(() => AccessRecordsAsync(script.CaseId),
            r => r.Any(x => x.GetProperty("userId").GetString() == "p-1004"), "the auditor's read is recorded");
        Assert.Equal(("clocks-read", "granted"),
            auditor.Where(r => r.GetProperty("userId").GetString() == "p-1004").Select(r => (r.GetProperty("eventType").GetString(), r.GetProperty("outcome").GetString())).Single());
    }

    [Fact]
    public async Task When_assignment_cannot_say_who_may_see_a_case_clock_reads_and_unrelated_pauses_fail_closed_with_503()
    {
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", await Host.NowAsync());
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the clock runs");
        // A second instance on the same schema, whose assignment is a port where nothing listens.
        var cut = await Host.StartInstanceAsync(await Host.NowAsync(), new Dictionary<string, string> { ["Escalation__AssignmentUrl"] = $"http://127.0.0.1:{FreePort()}" });
        try
        {
            foreach (var path in new[] { $"/api/cases/{script.CaseId}/clocks", $"/api/cases/{Guid.NewGuid()}/clocks", $"/api/clocks?caseIds={script.CaseId}" })
            {
                using var response = await IsolatedEscalation.SendAsync(cut, HttpMethod.Get, path, TestTokens.For("p-1004", Roles.Auditor));
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: {(int)response.StatusCode} {text}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.DoesNotContain("p-1014", text);
            }
            // Nor is a supervisor with no relationship to the case told whether it exists.
            using var pause = await IsolatedEscalation.SendAsync(cut, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/pause",
                TestTokens.For("p-1030", Roles.Supervisor), new { reason = StatutoryPauseReasons.CriminalInvestigationPending });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, pause.StatusCode);
        }
        finally
        {
            await Host.StopInstanceAsync(cut);
        }
    }

    [Fact]
    public async Task A_subject_her_chain_and_an_unrelated_supervisor_get_404_for_a_statutory_pause_or_resume_before_anything_in_the_request_is_judged()
    {
        // The subject here is a sergeant (p-1027, badge 1019), who holds a role that may pause; p-1026 commands her.
        // p-1030 supervises in another district: he may not see the case, so a 403 would tell him too much.
        var start = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", start, subjectBadges: ["1019"]);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Statutory, c => c.GetProperty("policyVersion").ValueKind == JsonValueKind.Number, "the statutory clock runs");
        var missing = Guid.NewGuid();

        foreach (var (person, role) in new[] { ("p-1027", Roles.Supervisor), ("p-1026", Roles.Commander), ("p-1030", Roles.Supervisor) })
        {
            var token = TestTokens.For(person, role);
            foreach (var body in new object?[] { null, new { }, new { reason = "busy" } })
            {
                using var hidden = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/pause", token, body);
                using var unknown = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{missing}/statutory/pause", token, body);
                Assert.True(hidden.StatusCode == HttpStatusCode.NotFound, $"{person}, {JsonSerializer.Serialize(body)}: {(int)hidden.StatusCode}");
                Assert.Equal(await ProblemAsync(unknown, missing), await ProblemAsync(hidden, script.CaseId));
            }
            using var resume = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/resume", token);
            Assert.Equal(HttpStatusCode.NotFound, resume.StatusCode);
        }

        // An admin sees the board, so may be told why not; the owner's supervisor may pause, so his empty body is judged: 400.
        using (var admin = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/pause",
                   TestTokens.For("p-1005", Roles.Admin), new { }))
            Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
        using (var owners = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, $"/api/cases/{script.CaseId}/statutory/pause",
                   TestTokens.For("p-1012", Roles.Supervisor), new { }))
            Assert.Equal(HttpStatusCode.BadRequest, owners.StatusCode);
        Assert.Equal(0, await Host.OutboxCountAsync<StatutoryClockPaused>(script.CaseId));
    }

    private Task<HttpResponseMessage> GetAsync(string path, string token) => IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Get, path, token);

    /// <summary>What a 404 tells its reader: status, media type, title and detail, with the case id asked for taken out.</summary>
    private static async Task<string> ProblemAsync(HttpResponseMessage response, Guid caseId)
    {
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType} {problem.GetProperty("title").GetString()} "
               + problem.GetProperty("detail").GetString()!.Replace(caseId.ToString(), "{caseId}");
    }

    /// <summary>The access records escalation has sent for one case, through its outbox to the audit service.</summary>
    private async Task<List<JsonElement>> AccessRecordsAsync(Guid caseId)
    {
        await using var connection = await TestDatabase.OpenAsync(Host.Schema);
        var bodies = await connection.QueryAsync<string>(
            "select body::text from outbox where message_type like @type and body->>'caseId' = @caseId order by seq",
            new { type = $"{typeof(CaseDataAccessed).FullName},%", caseId = caseId.ToString() });
        return bodies.Select(b => JsonDocument.Parse(b).RootElement.Clone()).ToList();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
