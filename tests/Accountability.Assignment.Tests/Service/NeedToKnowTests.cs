using System.Net;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>
/// Who may see a case (issue 12, finding 1): a force complaint naming p-1031 (badge 1569, patrol-2), whose chain is
/// p-1030 → p-1029 → p-1002 → p-1001. Internal affairs gets it; the subject and his chain get 404 whatever their role.
/// </summary>
[Collection(nameof(AssignmentService))]
public sealed class NeedToKnowTests(AssignmentService service)
{
    [Fact]
    public async Task The_subject_officer_and_his_chain_of_command_get_404_on_every_read_and_the_refusal_is_logged()
    {
        var (caseId, _) = await service.RoutedCaseAsync();

        foreach (var (person, role) in new[] { ("p-1031", Roles.Investigator), ("p-1030", Roles.Supervisor), ("p-1029", Roles.Commander) })
        {
            var token = TestTokens.For(person, role);
            foreach (var path in new[] { $"/api/cases/{caseId}", $"/api/cases/{caseId}/custody" })
            {
                using var read = await service.SendAsync(HttpMethod.Get, path, token);
                Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
                Assert.DoesNotContain("force", await read.Content.ReadAsStringAsync());
            }
            Assert.DoesNotContain(caseId, await ListedAsync(token));
            using var act = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/contacts", token, new { method = "phone" });
            Assert.Equal(HttpStatusCode.NotFound, act.StatusCode);
        }

        var records = await Eventually.ReturnsAsync(() => AssignmentService.AccessRecordsAsync(caseId),
            r => r.Count(x => x.GetProperty("userId").GetString() == "p-1031") >= 2, "the subject's reads are logged");
        Assert.All(records.Where(r => r.GetProperty("userId").GetString() == "p-1031"),
            r => Assert.Equal("denied", r.GetProperty("outcome").GetString()));

        // Who tried what is in the trail too (issue 17, finding 10): the subject's attempt to record contact.
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var attempts = (await connection.QueryAsync<string>(
            "select body::text from outbox where message_type like 'Accountability.Contracts.Custody.CustodyCommandRefused,%' and body->>'caseId' = @caseId",
            new { caseId = caseId.ToString() })).Select(b => JsonDocument.Parse(b).RootElement.Clone()).ToList();
        var subjectsAttempt = Assert.Single(attempts, a => a.GetProperty("actor").GetString() == "p-1031");
        Assert.Equal(("complainant-contacted", "not-visible"), (subjectsAttempt.GetProperty("command").GetString(), subjectsAttempt.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task The_owner_their_chain_internal_affairs_command_and_auditors_see_it_in_full_and_a_stranger_sees_nothing()
    {
        var (caseId, owner) = await service.RoutedCaseAsync();
        var ownersSupervisor = AssignmentService.SupervisorOf(owner);

        foreach (var (person, role) in new[] { (owner, Roles.Investigator), (ownersSupervisor, Roles.Supervisor), ("p-1011", Roles.Commander), ("p-1004", Roles.Auditor) })
        {
            var view = await service.ReadCaseAsync(caseId, TestTokens.For(person, role));
            Assert.Equal("full", view.GetProperty("access").GetString());
            Assert.Equal("1569", view.GetProperty("allegations")[0].GetProperty("officerBadge").GetString());
        }

        var stranger = new[] { "p-1014", "p-1015", "p-1016" }.First(p => p != owner);
        using var strangerRead = await service.SendAsync(HttpMethod.Get, $"/api/cases/{caseId}", TestTokens.For(stranger, Roles.Investigator));
        Assert.Equal(HttpStatusCode.NotFound, strangerRead.StatusCode);
        using var clerkRead = await service.SendAsync(HttpMethod.Get, $"/api/cases/{caseId}", TestTokens.For("p-1007", Roles.IntakeClerk));
        Assert.Equal(HttpStatusCode.NotFound, clerkRead.StatusCode); // the desk no longer holds it
    }

    [Fact]
    public async Task A_dispatcher_sees_the_board_view_without_allegations()
    {
        var (caseId, owner) = await service.RoutedCaseAsync();

        var view = await service.ReadCaseAsync(caseId, TestTokens.For("p-1009", Roles.Dispatcher));

        Assert.Equal("board", view.GetProperty("access").GetString());
        Assert.Equal(owner, view.GetProperty("owner").GetProperty("id").GetString());
        Assert.Equal(0, view.GetProperty("allegations").GetArrayLength());
        Assert.Contains(caseId, await ListedAsync(TestTokens.For("p-1009", Roles.Dispatcher)));
    }

    [Fact]
    public async Task The_receiver_of_a_pending_handoff_sees_the_case_and_the_previous_owner_keeps_sight_of_it()
    {
        var (caseId, owner) = await service.RoutedCaseAsync();
        var receiver = new[] { "p-1018", "p-1019", "p-1020" }.First(p => p != owner);
        var receiverToken = TestTokens.For(receiver, Roles.Investigator);
        using (var before = await service.SendAsync(HttpMethod.Get, $"/api/cases/{caseId}", receiverToken))
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);

        using var handoff = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/handoffs", TestTokens.For(owner, Roles.Investigator),
            new { toPersonId = receiver, reason = "Speaks the complainant's language" });
        Assert.Equal(HttpStatusCode.Created, handoff.StatusCode);
        var handoffId = JsonDocument.Parse(await handoff.Content.ReadAsStringAsync()).RootElement.GetProperty("handoffId").GetGuid();

        Assert.Equal("full", (await service.ReadCaseAsync(caseId, receiverToken)).GetProperty("access").GetString());
        using var accept = await service.SendAsync(HttpMethod.Post, $"/api/handoffs/{handoffId}/accept", receiverToken);
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);

        Assert.Equal("full", (await service.ReadCaseAsync(caseId, TestTokens.For(owner, Roles.Investigator))).GetProperty("access").GetString());
    }

    [Fact]
    public async Task A_past_owners_sight_of_the_case_ends_once_it_left_them_longer_ago_than_the_past_owner_access_period()
    {
        // A plain investigator under one sergeant hands over to one under the other: no chain of command links them.
        var (caseId, owner) = await service.CaseOwnedByAnInvestigatorAsync(["p-1014", "p-1015", "p-1016"]);
        const string receiver = "p-1018";
        using (var reassign = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reassign", TestTokens.For("p-1011", Roles.Commander),
                   new { toPersonId = receiver, reason = "Reassigned while on leave" }))
            Assert.Equal(HttpStatusCode.OK, reassign.StatusCode);
        var pastOwner = TestTokens.For(owner, Roles.Investigator);
        Assert.Equal("full", (await service.ReadCaseAsync(caseId, pastOwner)).GetProperty("access").GetString());

        // Access:PastOwnerAccess is 90 days: move the whole ledger 91 days back, so the past owner's interval ended then.
        // Every interval moves by the same amount, so the ledger keeps its shape (no gap, no overlap). One at a time, oldest
        // first: the overlap constraint is checked row by row, and one statement could move the open interval back over an
        // older one that it had not moved yet (it did, depending on where the rows lay in the table). Gaps are checked at commit.
        await using (var connection = await TestDatabase.OpenAsync("assignment"))
        {
            await using var transaction = await connection.BeginTransactionAsync();
            foreach (var seq in await connection.QueryAsync<int>("select seq from custody where case_id = @caseId order by seq", new { caseId }, transaction))
                await connection.ExecuteAsync(
                    "update custody set from_at = from_at - interval '91 days', to_at = to_at - interval '91 days' where case_id = @caseId and seq = @seq",
                    new { caseId, seq }, transaction);
            await transaction.CommitAsync();
        }

        using var read = await service.SendAsync(HttpMethod.Get, $"/api/cases/{caseId}", pastOwner);
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.DoesNotContain(caseId, await ListedAsync(pastOwner));
        Assert.Equal("full", (await service.ReadCaseAsync(caseId, TestTokens.For(receiver, Roles.Investigator))).GetProperty("access").GetString());
    }

    [Fact]
    public async Task An_intake_clerk_sees_a_case_in_full_while_the_intake_desk_holds_it_and_not_once_it_leaves()
    {
        // Naming every internal-affairs investigator conflicts internal-affairs command too (it is above them all):
        // nobody eligible is left for a force complaint, so the desk keeps the case for a person to route.
        var directory = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.File("deploy", "org", "directory.json"))).RootElement;
        var badges = directory.GetProperty("people").EnumerateArray()
            .Where(p => p.GetProperty("unitId").GetString() == "u-internal-affairs"
                        && p.GetProperty("roles").EnumerateArray().Any(r => r.GetString() == Roles.Investigator))
            .Select(p => p.GetProperty("badge").GetString()!).ToArray();
        var complaint = await service.FileAsync("force", "2", badges);
        // Receipt and routing share one transaction: once the case can be read, routing has already left it at the desk.
        var held = await service.WaitForOwnerAsync(complaint.CaseId, _ => true, "the case is received");
        Assert.Equal("u-intake-desk", held.GetProperty("owner").GetProperty("id").GetString());

        var clerk = TestTokens.For("p-1007", Roles.IntakeClerk);
        var view = await service.ReadCaseAsync(complaint.CaseId, clerk);
        Assert.Equal("full", view.GetProperty("access").GetString());
        Assert.Equal(badges.Length, view.GetProperty("allegations").GetArrayLength());
        Assert.Contains(complaint.CaseId, await ListedAsync(clerk));

        // The desk's commander sends it on to professional standards; the clerk's sight ends with the desk's custody.
        using (var reassign = await service.SendAsync(HttpMethod.Post, $"/api/cases/{complaint.CaseId}/reassign", TestTokens.For("p-1006", Roles.Supervisor),
                   new { toPersonId = "p-1023", reason = "Internal affairs is conflicted; professional standards investigates" }))
            Assert.Equal(HttpStatusCode.OK, reassign.StatusCode);
        using var after = await service.SendAsync(HttpMethod.Get, $"/api/cases/{complaint.CaseId}", clerk);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    private async Task<List<Guid>> ListedAsync(string token)
    {
        using var response = await service.SendAsync(HttpMethod.Get, "/api/cases?limit=500", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Select(c => c.GetProperty("caseId").GetGuid()).ToList();
    }
}
