using System.Net;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

[Collection(nameof(AssignmentService))]
public sealed class RoutingAndCustodyTests(AssignmentService service)
{
    [Fact]
    public async Task A_force_complaint_reaches_an_active_internal_affairs_investigator_after_the_intake_desk()
    {
        var complaint = await service.FileAsync("force", "2");

        var routed = await service.WaitForRoutingAsync(complaint.CaseId);
        Assert.Equal("person", routed.GetProperty("owner").GetProperty("kind").GetString());
        Assert.Contains(routed.GetProperty("owner").GetProperty("id").GetString(), AssignmentService.ActiveInternalAffairsInvestigators);
        Assert.Equal("u-internal-affairs", routed.GetProperty("unitId").GetString());

        var custody = await CustodyAsync(complaint.CaseId);
        Assert.Equal(2, custody.GetArrayLength());
        Assert.Equal("u-intake-desk", custody[0].GetProperty("ownerId").GetString());
        Assert.Equal("received", custody[0].GetProperty("transferKind").GetString());
        Assert.Equal("routed", custody[1].GetProperty("transferKind").GetString());
        Assert.Equal(custody[0].GetProperty("to").GetDateTimeOffset(), custody[1].GetProperty("from").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, custody[1].GetProperty("to").ValueKind);
    }

    [Fact]
    public async Task A_transactions_events_leave_in_one_message_with_their_own_ids_and_the_kinds_inside_as_its_routing_key()
    {
        var (caseId, owner) = await service.RoutedCaseAsync();
        using (var acknowledge = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/acknowledge", TestTokens.For(owner, Roles.Investigator)))
            Assert.Equal(HttpStatusCode.OK, acknowledge.StatusCode);

        var envelopes = await Eventually.ReturnsAsync(() => Task.FromResult(service.Published.Where(e => e.CaseId == caseId).ToList()),
            found => found.Count == 2, "the routing's and the acknowledgement's envelopes arrive downstream");
        var (routing, acknowledged) = (envelopes.Single(e => e.Events.Count > 1), envelopes.Single(e => e.Events.Count == 1));
        Assert.Equal(["CaseOpened", "CustodyTransferred", "CaseRouted", "CustodyTransferred"], routing.Events.Select(e => e.Kind));
        Assert.Equal([1L, 2L, 3L, 4L], routing.Events.Select(e => e.Event.GetProperty("caseVersion").GetInt64()));
        Assert.Equal(["received", "routed"], routing.Events.Where(e => e.Kind == "CustodyTransferred").Select(e => e.Event.GetProperty("transferKind").GetString()));
        Assert.Equal("CaseOpened.CustodyTransferred.CaseRouted", Contracts.Custody.CaseEventsCommitted.RoutingKeyOf(routing));
        Assert.Equal("CaseAcknowledged", Assert.Single(acknowledged.Events).Kind);
        var ids = envelopes.SelectMany(e => e.Events).Select(e => e.EventId).ToList();
        Assert.DoesNotContain(Guid.Empty, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());

        // Of custody, the outbox holds those two messages for the case and no event alone (beside them: the reads' access records).
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var types = (await connection.QueryAsync<string>(
            "select split_part(message_type, ',', 1) from outbox where body->>'caseId' = @caseId and message_type like 'Accountability.Contracts.Custody.%' order by seq",
            new { caseId = caseId.ToString() })).ToList();
        Assert.Equal(["Accountability.Contracts.Custody.CaseEventsCommitted", "Accountability.Contracts.Custody.CaseEventsCommitted"], types);
    }

    [Fact]
    public async Task A_subject_officer_and_their_chain_of_command_are_never_chosen_nor_their_unit()
    {
        // p-1028 (badge 1544) is a district 1 officer; everyone who could take a district 1 discourtesy
        // complaint is in their chain. The patrol unit once held it, and a subject could close it (issue 17,
        // finding 1b): internal affairs takes it instead.
        var complaint = await service.FileAsync("discourtesy", "1", "1544");

        var routed = await service.WaitForRoutingAsync(complaint.CaseId);
        var owner = routed.GetProperty("owner");
        Assert.Equal("person", owner.GetProperty("kind").GetString());
        Assert.Equal("u-internal-affairs", routed.GetProperty("unitId").GetString());
        Assert.DoesNotContain(owner.GetProperty("id").GetString(), new[] { "p-1028", "p-1027", "p-1026", "p-1002", "p-1001" });
    }

    [Fact]
    public async Task A_second_ComplaintReceived_for_the_same_case_makes_one_case()
    {
        var complaint = await service.FileAsync("misconduct", "3");
        await service.WaitForRoutingAsync(complaint.CaseId);

        await service.PublishAsync(complaint); // a new message id: the inbox cannot absorb it, the rules must
        var marker = await service.FileAsync("misconduct", "3");
        await service.WaitForRoutingAsync(marker.CaseId); // the duplicate, published first, has been handled by now

        await using var connection = await TestDatabase.OpenAsync("assignment");
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("select count(*) from cases where case_id = @CaseId", new { complaint.CaseId }));
        Assert.Equal(2, (await CustodyAsync(complaint.CaseId)).GetArrayLength());
    }

    [Fact]
    public async Task A_declined_handoff_leaves_the_case_with_its_owner()
    {
        var (caseId, owner) = await RoutedForceCaseAsync();
        var receiver = AssignmentService.ActiveInternalAffairsInvestigators.First(p => p != owner);

        var handoffId = await RequestHandoffAsync(caseId, owner, receiver);
        using var decline = await service.SendAsync(HttpMethod.Post, $"/api/handoffs/{handoffId}/decline",
            TestTokens.For(receiver, Roles.Investigator), new { reason = "Already carrying a full load" });
        Assert.Equal(HttpStatusCode.OK, decline.StatusCode);

        var after = await service.WaitForOwnerAsync(caseId, c => c.GetProperty("pendingHandoff").ValueKind == JsonValueKind.Null, "no handoff pending");
        Assert.Equal(owner, after.GetProperty("owner").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Only_the_named_receiver_may_accept_a_handoff()
    {
        var (caseId, owner) = await RoutedForceCaseAsync();
        var receiver = AssignmentService.ActiveInternalAffairsInvestigators.First(p => p != owner);
        var stranger = "p-1023"; // a professional-standards investigator: no relationship to the case
        var handoffId = await RequestHandoffAsync(caseId, owner, receiver);

        // A stranger has no need to know the case: the same 404 as for no case at all.
        using var response = await service.SendAsync(HttpMethod.Post, $"/api/handoffs/{handoffId}/accept", TestTokens.For(stranger, Roles.Investigator));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        // A dispatcher sees the board, so may know the case exists, but is not the receiver.
        using var dispatcher = await service.SendAsync(HttpMethod.Post, $"/api/handoffs/{handoffId}/accept", TestTokens.For("p-1009", Roles.Dispatcher));
        Assert.Equal(HttpStatusCode.Forbidden, dispatcher.StatusCode);
    }

    [Fact]
    public async Task Two_concurrent_accepts_of_a_handoff_to_a_unit_exactly_one_wins()
    {
        var (caseId, owner) = await RoutedForceCaseAsync();
        // To professional standards: its commander and its supervisor may both act for it.
        var handoffId = await RequestHandoffAsync(caseId, owner, null, toUnit: "u-professional-standards");
        var actors = await ProfessionalStandardsActorsAsync();

        var responses = await Task.WhenAll(actors.Select(actor =>
            service.SendAsync(HttpMethod.Post, $"/api/handoffs/{handoffId}/accept", TestTokens.For(actor, Roles.Supervisor))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var after = await service.WaitForOwnerAsync(caseId, _ => true, "case readable");
        Assert.Equal("u-professional-standards", after.GetProperty("owner").GetProperty("id").GetString());
        Assert.Equal(3, (await CustodyAsync(caseId)).GetArrayLength());
    }

    [Fact]
    public async Task The_owner_at_an_instant_is_right_across_several_transfers()
    {
        var (caseId, owner) = await RoutedForceCaseAsync();
        var second = AssignmentService.ActiveInternalAffairsInvestigators.First(p => p != owner);
        var handoffId = await RequestHandoffAsync(caseId, owner, second);
        using (var accept = await service.SendAsync(HttpMethod.Post, $"/api/handoffs/{handoffId}/accept", TestTokens.For(second, Roles.Investigator)))
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        var supervisor = second is "p-1018" or "p-1019" or "p-1020" or "p-1021" ? "p-1013" : "p-1011";
        var third = AssignmentService.ActiveInternalAffairsInvestigators.First(p => p != owner && p != second && p != supervisor);
        using (var reassign = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reassign",
                   TestTokens.For("p-1011", Roles.Commander), new { toPersonId = third, reason = "Balancing the unit's load" }))
            Assert.Equal(HttpStatusCode.OK, reassign.StatusCode);

        var custody = await CustodyAsync(caseId);
        Assert.Equal(4, custody.GetArrayLength());
        for (var i = 0; i < custody.GetArrayLength(); i++)
        {
            var interval = custody[i];
            var from = interval.GetProperty("from").GetDateTimeOffset();
            var probe = interval.GetProperty("to").ValueKind == JsonValueKind.Null
                ? from.AddSeconds(1)
                : from + (interval.GetProperty("to").GetDateTimeOffset() - from) / 2;
            using var response = await service.SendAsync(HttpMethod.Get, $"/api/cases/{caseId}/custody?at={Uri.EscapeDataString(probe.ToString("O"))}",
                TestTokens.For("p-1009", Roles.Dispatcher));
            var atInstant = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(interval.GetProperty("ownerId").GetString(), atInstant.GetProperty("ownerId").GetString());
        }
        Assert.Equal(["received", "routed", "handoff", "reassigned"],
            custody.EnumerateArray().Select(i => i.GetProperty("transferKind").GetString()!).ToArray());
    }

    private async Task<(Guid CaseId, string Owner)> RoutedForceCaseAsync()
    {
        var complaint = await service.FileAsync("force", "4");
        var routed = await service.WaitForRoutingAsync(complaint.CaseId);
        return (complaint.CaseId, routed.GetProperty("owner").GetProperty("id").GetString()!);
    }

    private async Task<Guid> RequestHandoffAsync(Guid caseId, string owner, string? toPerson, string? toUnit = null)
    {
        using var response = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/handoffs", TestTokens.For(owner, Roles.Investigator),
            new { toPersonId = toPerson, toUnitId = toUnit, reason = "Better placed to investigate" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("handoffId").GetGuid();
    }

    private static async Task<string[]> ProfessionalStandardsActorsAsync()
    {
        var directory = JsonDocument.Parse(await File.ReadAllTextAsync(RepositoryPaths.File("deploy", "org", "directory.json"))).RootElement;
        var unit = directory.GetProperty("units").EnumerateArray().Single(u => u.GetProperty("id").GetString() == "u-professional-standards");
        var supervisors = directory.GetProperty("people").EnumerateArray()
            .Where(p => p.GetProperty("unitId").GetString() == "u-professional-standards"
                        && p.GetProperty("roles").EnumerateArray().Any(r => r.GetString() is "supervisor" or "commander")
                        && (!p.TryGetProperty("active", out var active) || active.GetBoolean()))
            .Select(p => p.GetProperty("id").GetString()!);
        return supervisors.Append(unit.GetProperty("commanderId").GetString()!).Distinct().ToArray();
    }

    private async Task<JsonElement> CustodyAsync(Guid caseId)
    {
        using var response = await service.SendAsync(HttpMethod.Get, $"/api/cases/{caseId}/custody", TestTokens.For("p-1009", Roles.Dispatcher));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
