using System.Net;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>
/// Confidential cases (issue 12) through the real service: a force complaint naming p-1031 goes to an internal-affairs
/// investigator; internal-affairs command (p-1011) makes it confidential, naming a team.
/// </summary>
[Collection(nameof(AssignmentService))]
public sealed class ConfidentialCaseTests(AssignmentService service)
{
    private const string IaCommand = "p-1011";
    private static readonly string[] Investigators = ["p-1014", "p-1015", "p-1016", "p-1018", "p-1019", "p-1020", "p-1021"];

    [Fact]
    public async Task Once_internal_affairs_command_marks_a_case_confidential_only_the_named_team_the_owner_command_and_auditors_see_it()
    {
        var (caseId, owner) = await service.CaseOwnedByAnInvestigatorAsync(Investigators);
        var named = Investigators.First(p => p != owner);
        var unnamed = Investigators.Last(p => p != owner && p != named);
        var ownersSupervisor = AssignmentService.SupervisorOf(owner);
        // Before: the owner's sergeant sees it in full, as any case of his people.
        Assert.Equal("full", (await service.ReadCaseAsync(caseId, Token(ownersSupervisor, Roles.Supervisor))).GetProperty("access").GetString());

        using (var mark = await MarkAsync(caseId, IaCommand, "Concerns a senior officer's family", named))
            Assert.Equal(HttpStatusCode.OK, mark.StatusCode);

        var namedView = await service.ReadCaseAsync(caseId, Token(named, Roles.Investigator));
        Assert.Equal("full", namedView.GetProperty("access").GetString());
        Assert.Equal("force", namedView.GetProperty("category").GetString());
        var confidentiality = namedView.GetProperty("confidentiality");
        Assert.Equal("Concerns a senior officer's family", confidentiality.GetProperty("reason").GetString());
        Assert.Equal(IaCommand, confidentiality.GetProperty("markedBy").GetString());
        Assert.Equal([named, owner], confidentiality.GetProperty("team").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        foreach (var (person, role) in new[] { (owner, Roles.Investigator), (IaCommand, Roles.Commander), ("p-1004", Roles.Auditor) })
            Assert.Equal("full", (await service.ReadCaseAsync(caseId, Token(person, role))).GetProperty("access").GetString());

        // The owner's chain of command, unless named, and an unnamed colleague: as if there were no such case.
        foreach (var (person, role) in new[] { (ownersSupervisor, Roles.Supervisor), (unnamed, Roles.Investigator) })
        {
            foreach (var path in new[] { $"/api/cases/{caseId}", $"/api/cases/{caseId}/custody" })
            {
                using var read = await service.SendAsync(HttpMethod.Get, path, Token(person, role));
                Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
            }
            Assert.DoesNotContain(caseId, await ListedAsync("/api/cases?limit=500", Token(person, role)));
        }

        // The dispatcher keeps the board's row: number, owner, status; not what it is about nor where.
        var dispatcher = Token("p-1009", Roles.Dispatcher);
        var row = await service.ReadCaseAsync(caseId, dispatcher);
        Assert.Equal(("board", owner), (row.GetProperty("access").GetString(), row.GetProperty("owner").GetProperty("id").GetString()));
        Assert.Equal(("confidential", "confidential"), (row.GetProperty("category").GetString(), row.GetProperty("district").GetString()));
        Assert.Equal(JsonValueKind.Null, row.GetProperty("confidentiality").ValueKind);
        Assert.DoesNotContain("senior officer", row.GetRawText());
        Assert.Contains(caseId, await ListedAsync("/api/cases?limit=500", dispatcher));
        Assert.DoesNotContain(caseId, await ListedAsync("/api/cases?limit=500&category=force", dispatcher));
        Assert.DoesNotContain(caseId, await ListedAsync("/api/cases?limit=500&district=2", dispatcher));
        var listed = (await ListAsync("/api/cases?limit=500", dispatcher)).Single(c => c.GetProperty("caseId").GetGuid() == caseId);
        Assert.Equal("confidential", listed.GetProperty("category").GetString());

        // The trail gets why, who, and the whole team.
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var body = await connection.QuerySingleAsync<string>(
            "select (e->'event')::text from outbox, jsonb_array_elements(body->'events') e where message_type like 'Accountability.Contracts.Custody.CaseEventsCommitted,%' and e->>'kind' = 'CaseMarkedConfidential' and body->>'caseId' = @caseId",
            new { caseId = caseId.ToString() });
        var marked = JsonDocument.Parse(body).RootElement;
        Assert.Equal((IaCommand, "Concerns a senior officer's family"), (marked.GetProperty("actor").GetString(), marked.GetProperty("reason").GetString()));
        Assert.Equal([named, owner], marked.GetProperty("team").EnumerateArray().Select(m => m.GetString()));

        // Lifted, with a reason: the ordinary rule again.
        using (var lift = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/confidential/lift", Token(IaCommand, Roles.Commander), new { reason = "The inquiry is public now" }))
            Assert.Equal(HttpStatusCode.OK, lift.StatusCode);
        Assert.Equal("full", (await service.ReadCaseAsync(caseId, Token(ownersSupervisor, Roles.Supervisor))).GetProperty("access").GetString());
        Assert.Equal("force", (await service.ReadCaseAsync(caseId, dispatcher)).GetProperty("category").GetString());
    }

    [Fact]
    public async Task A_past_owner_who_is_not_on_the_team_gets_404()
    {
        var (caseId, owner) = await service.CaseOwnedByAnInvestigatorAsync(Investigators);
        var next = Investigators.First(p => p != owner);
        var handoffId = await HandOffAsync(caseId, owner, next);
        using (var accept = await service.SendAsync(HttpMethod.Post, $"/api/handoffs/{handoffId}/accept", Token(next, Roles.Investigator)))
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        // A past owner ordinarily keeps sight for 90 days.
        Assert.Equal("full", (await service.ReadCaseAsync(caseId, Token(owner, Roles.Investigator))).GetProperty("access").GetString());

        using (var mark = await MarkAsync(caseId, IaCommand, "Witness protection", []))
            Assert.Equal(HttpStatusCode.OK, mark.StatusCode);

        using var read = await service.SendAsync(HttpMethod.Get, $"/api/cases/{caseId}", Token(owner, Roles.Investigator));
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.DoesNotContain(caseId, await ListedAsync("/api/cases?limit=500", Token(owner, Roles.Investigator)));
        // The new owner is on the team without being named.
        var view = await service.ReadCaseAsync(caseId, Token(next, Roles.Investigator));
        Assert.Equal([next], view.GetProperty("confidentiality").GetProperty("team").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Only_internal_affairs_command_marks_a_case_confidential_others_get_403_or_404_if_they_cannot_see_it()
    {
        var (caseId, owner) = await service.CaseOwnedByAnInvestigatorAsync(Investigators);
        var other = Investigators.First(p => p != owner);

        using (var byOwner = await MarkAsync(caseId, owner, "I want privacy", other, role: Roles.Investigator))
            Assert.Equal(HttpStatusCode.Forbidden, byOwner.StatusCode);
        using (var bySergeant = await MarkAsync(caseId, AssignmentService.SupervisorOf(owner), "I want privacy", other, role: Roles.Supervisor))
            Assert.Equal(HttpStatusCode.Forbidden, bySergeant.StatusCode);
        using (var byStranger = await MarkAsync(caseId, other, "I want privacy", other, role: Roles.Investigator))
            Assert.Equal(HttpStatusCode.NotFound, byStranger.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await service.ReadCaseAsync(caseId, Token(owner, Roles.Investigator))).GetProperty("confidentiality").ValueKind);
    }

    [Fact]
    public async Task A_bad_team_member_or_a_missing_reason_is_refused_naming_the_field()
    {
        var (caseId, owner) = await service.CaseOwnedByAnInvestigatorAsync(Investigators);
        var other = Investigators.First(p => p != owner);

        foreach (var (team, field, status) in new (string[] Team, string Field, HttpStatusCode Status)[]
        {
            ([other, "p-1017"], "team[1]", HttpStatusCode.UnprocessableEntity), // inactive
            (["p-9999"], "team[0]", HttpStatusCode.UnprocessableEntity), // nobody
            ([other, "p-1030"], "team[1]", HttpStatusCode.UnprocessableEntity), // the subject's sergeant
            (["p-1031"], "team[0]", HttpStatusCode.UnprocessableEntity), // the subject
            (["not an id!"], "team[0]", HttpStatusCode.BadRequest),
        })
        {
            using var response = await MarkAsync(caseId, IaCommand, "Sensitive", team);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{string.Join(",", team)}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
        }

        using var noReason = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/confidential", Token(IaCommand, Roles.Commander), new { team = new[] { other } });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.True(JsonDocument.Parse(await noReason.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("reason", out _));
        Assert.Equal(JsonValueKind.Null, (await service.ReadCaseAsync(caseId, Token(owner, Roles.Investigator))).GetProperty("confidentiality").ValueKind);
    }

    [Fact]
    public async Task A_confidential_case_is_not_handed_off_nor_reassigned_to_anyone_off_its_team()
    {
        var (caseId, owner) = await service.CaseOwnedByAnInvestigatorAsync(Investigators);
        var named = Investigators.First(p => p != owner);
        var unnamed = Investigators.Last(p => p != owner && p != named);
        using (var mark = await MarkAsync(caseId, IaCommand, "Sensitive", named))
            Assert.Equal(HttpStatusCode.OK, mark.StatusCode);

        using var handoff = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/handoffs", Token(owner, Roles.Investigator),
            new { toPersonId = unnamed, reason = "Workload" });
        var problem = JsonDocument.Parse(await handoff.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, handoff.StatusCode);
        Assert.Equal("not-on-confidential-team", problem.GetProperty("code").GetString());
        Assert.Contains("not on its team", problem.GetProperty("detail").GetString());

        using var toUnit = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/handoffs", Token(owner, Roles.Investigator),
            new { toUnitId = "u-internal-affairs", reason = "Workload" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, toUnit.StatusCode);

        using var reassign = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reassign", Token(IaCommand, Roles.Commander),
            new { toPersonId = unnamed, reason = "Workload" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reassign.StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await HandOffResponseAsync(caseId, owner, named)).StatusCode);
    }

    private async Task<HttpResponseMessage> MarkAsync(Guid caseId, string person, string reason, string teamMember, string role = Roles.Commander) =>
        await MarkAsync(caseId, person, reason, [teamMember], role);

    private async Task<HttpResponseMessage> MarkAsync(Guid caseId, string person, string reason, string[] team, string role = Roles.Commander) =>
        await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/confidential", Token(person, role), new { reason, team });

    private async Task<Guid> HandOffAsync(Guid caseId, string from, string to)
    {
        using var response = await HandOffResponseAsync(caseId, from, to);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("handoffId").GetGuid();
    }

    private Task<HttpResponseMessage> HandOffResponseAsync(Guid caseId, string from, string to) =>
        service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/handoffs", Token(from, Roles.Investigator), new { toPersonId = to, reason = "Knows the family" });

    private static string Token(string person, string role) => TestTokens.For(person, role);

    private async Task<List<JsonElement>> ListAsync(string path, string token)
    {
        using var response = await service.SendAsync(HttpMethod.Get, path, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(c => c.Clone())];
    }

    private async Task<List<Guid>> ListedAsync(string path, string token) =>
        [.. (await ListAsync(path, token)).Select(c => c.GetProperty("caseId").GetGuid())];
}
