using System.Net;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>GET /api/cases?category=&amp;district=: exact-match filters for the console's board.</summary>
[Collection(nameof(AssignmentService))]
public sealed class CaseListFilterTests(AssignmentService service)
{
    private static string Dispatcher => TestTokens.For("p-1009", Roles.Dispatcher);

    [Fact]
    public async Task The_district_filter_lists_only_the_cases_of_that_district()
    {
        // A district of this test's own: every case in it is one this test filed.
        var district = $"d-{Guid.NewGuid():N}";
        var force = await service.FileAsync("force", district);
        var discourtesy = await service.FileAsync("discourtesy", district);
        var elsewhere = await service.FileAsync("force", "3");
        foreach (var complaint in new[] { force, discourtesy, elsewhere })
            await service.WaitForOwnerAsync(complaint.CaseId, _ => true, $"case {complaint.CaseId} exists");

        var listed = await ListAsync($"/api/cases?district={district}&limit=500");

        Assert.Equal(new[] { discourtesy.CaseId, force.CaseId }.Order(), listed.Select(c => c.GetProperty("caseId").GetGuid()).Order());
        Assert.All(listed, c => Assert.Equal(district, c.GetProperty("district").GetString()));
    }

    [Fact]
    public async Task The_board_says_since_when_the_owner_has_held_each_case_as_its_custody_chain_does()
    {
        // The gap monitor reads this instead of asking for every case's custody (issue 18).
        var (caseId, _) = await service.RoutedCaseAsync();

        var row = (await ListAsync("/api/cases?status=open&limit=500")).Single(c => c.GetProperty("caseId").GetGuid() == caseId);
        using var custody = await service.SendAsync(HttpMethod.Get, $"/api/cases/{caseId}/custody", TestTokens.For("p-1004", Roles.Auditor));
        var open = JsonDocument.Parse(await custody.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Single(i => i.GetProperty("to").ValueKind == JsonValueKind.Null);

        Assert.Equal(open.GetProperty("from").GetDateTimeOffset(), row.GetProperty("ownedSince").GetDateTimeOffset());
        Assert.True(row.GetProperty("ownedSince").GetDateTimeOffset() >= row.GetProperty("receivedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_case_is_found_by_its_human_number_whatever_its_letter_case_and_shows_it()
    {
        // Issue 12, finding 5: the board showed the first 8 characters of a time-ordered id, which repeated.
        var complaint = await service.FileAsync("force", "3");
        await service.WaitForOwnerAsync(complaint.CaseId, _ => true, $"case {complaint.CaseId} exists");

        var listed = await ListAsync($"/api/cases?number={complaint.CaseNumber!.ToLowerInvariant()}");

        Assert.Equal(complaint.CaseId, Assert.Single(listed).GetProperty("caseId").GetGuid());
        Assert.Equal(complaint.CaseNumber, listed[0].GetProperty("caseNumber").GetString());
        Assert.Empty(await ListAsync("/api/cases?number=IA-1999-99999"));
    }

    [Fact]
    public async Task The_category_filter_lists_only_cases_of_that_category_and_combines_with_the_district()
    {
        var district = $"d-{Guid.NewGuid():N}";
        var force = await service.FileAsync("force", district);
        var discourtesy = await service.FileAsync("discourtesy", district);
        foreach (var complaint in new[] { force, discourtesy })
            await service.WaitForOwnerAsync(complaint.CaseId, _ => true, $"case {complaint.CaseId} exists");

        var allForce = await ListAsync("/api/cases?category=force&limit=500");
        var both = await ListAsync($"/api/cases?category=discourtesy&district={district}");

        Assert.All(allForce, c => Assert.Equal("force", c.GetProperty("category").GetString()));
        Assert.Contains(force.CaseId, allForce.Select(c => c.GetProperty("caseId").GetGuid()));
        Assert.DoesNotContain(discourtesy.CaseId, allForce.Select(c => c.GetProperty("caseId").GetGuid()));
        Assert.Equal([discourtesy.CaseId], both.Select(c => c.GetProperty("caseId").GetGuid()));
        // Exact, not a prefix or a case-insensitive match.
        Assert.Empty(await ListAsync($"/api/cases?category=FORCE&district={district}"));
        Assert.Empty(await ListAsync($"/api/cases?category=forc&district={district}"));
    }

    [Theory]
    [InlineData("category")]
    [InlineData("district")]
    public async Task A_filter_longer_than_100_characters_or_with_a_control_character_gets_a_field_level_400(string field)
    {
        using var atLimit = await service.SendAsync(HttpMethod.Get, $"/api/cases?{field}={new string('x', 100)}", Dispatcher);
        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);

        foreach (var value in new[] { new string('x', 101), "force%00", "%0A" })
        {
            using var response = await service.SendAsync(HttpMethod.Get, $"/api/cases?{field}={value}", Dispatcher);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}={value}");
        }
    }

    [Fact]
    public async Task The_board_says_a_handoff_a_dispatcher_asked_for_was_declined_until_custody_next_changes()
    {
        // Issue 12, the dispatcher's journey: the board showed a pending handoff but never how it ended.
        string[] investigators = ["p-1014", "p-1015", "p-1016", "p-1018", "p-1019", "p-1020", "p-1021"];
        var (caseId, owner) = await service.CaseOwnedByAnInvestigatorAsync(investigators);
        var receiver = investigators.First(p => p != owner);
        Guid handoffId;
        using (var request = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/handoffs", Dispatcher, new { toPersonId = receiver, reason = "Shift change" }))
        {
            var text = await request.Content.ReadAsStringAsync();
            Assert.True(request.StatusCode == HttpStatusCode.Created, text);
            handoffId = JsonDocument.Parse(text).RootElement.GetProperty("handoffId").GetGuid();
        }
        Assert.Null(LastOutcome(await RowAsync(caseId))); // pending: nothing has ended yet

        using (var decline = await service.SendAsync(HttpMethod.Post, $"/api/handoffs/{handoffId}/decline", TestTokens.For(receiver, Roles.Investigator), new { reason = "On leave from Monday" }))
            Assert.True(decline.IsSuccessStatusCode, await decline.Content.ReadAsStringAsync());

        var row = await RowAsync(caseId);
        var outcome = LastOutcome(row) ?? throw new Xunit.Sdk.XunitException("The board's row does not say how the handoff ended.");
        Assert.Equal(owner, row.GetProperty("owner").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("pendingHandoff").ValueKind);
        Assert.Equal(("declined", receiver, "p-1009", "On leave from Monday"),
            (outcome.GetProperty("outcome").GetString(), outcome.GetProperty("toId").GetString(), outcome.GetProperty("requestedBy").GetString(), outcome.GetProperty("reason").GetString()));
        // The event names who asked, so notification can tell them.
        await using (var connection = await TestDatabase.OpenAsync("assignment"))
            Assert.Equal("p-1009", await Dapper.SqlMapper.QuerySingleAsync<string>(connection,
                "select e->'event'->>'requestedBy' from outbox, jsonb_array_elements(body->'events') e where message_type like 'Accountability.Contracts.Custody.CaseEventsCommitted,%' and e->>'kind' = 'HandoffDeclined' and e->'event'->>'handoffId' = @id",
                new { id = handoffId.ToString() }));

        // The next custody change ends what the row says about the old handoff.
        var next = investigators.First(p => p != owner && p != receiver);
        using (var reassign = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reassign", TestTokens.For("p-1011", Roles.Commander),
                   new { toPersonId = next, reason = "The owner is on nights; the sergeant chose" }))
            Assert.True(reassign.IsSuccessStatusCode, await reassign.Content.ReadAsStringAsync());
        Assert.Null(LastOutcome(await RowAsync(caseId)));
    }

    [Fact]
    public async Task Paging_after_each_page_s_last_case_lists_the_same_cases_in_the_same_order_as_paging_by_offset()
    {
        var district = $"d-{Guid.NewGuid():N}";
        var filed = new List<Guid>();
        for (var i = 0; i < 5; i++)
            filed.Add((await service.FileAsync(i % 2 == 0 ? "force" : "discourtesy", district)).CaseId);
        foreach (var caseId in filed)
            await service.WaitForOwnerAsync(caseId, _ => true, $"case {caseId} exists");

        var byOffset = new List<Guid>();
        for (var offset = 0; offset < 10; offset += 2)
            byOffset.AddRange((await ListAsync($"/api/cases?district={district}&limit=2&offset={offset}")).Select(c => c.GetProperty("caseId").GetGuid()));
        var byCursor = new List<Guid>();
        string cursor = "";
        while (true)
        {
            var page = (await ListAsync($"/api/cases?district={district}&limit=2{cursor}")).Select(c => c.GetProperty("caseId").GetGuid()).ToList();
            byCursor.AddRange(page);
            if (page.Count < 2)
                break;
            cursor = $"&after={page[^1]}";
        }

        Assert.Equal(filed.Order(), byOffset.Order());
        Assert.Equal(byOffset, byCursor);
    }

    [Theory]
    [InlineData("after=yesterday")]
    [InlineData("after={case}&sort=urgency")]
    [InlineData("after={case}&offset=2")]
    [InlineData("after={unknown}")]
    public async Task A_page_cursor_that_is_not_a_case_the_reader_was_shown_or_does_not_fit_the_query_gets_a_field_level_400(string query)
    {
        var (caseId, _) = await service.RoutedCaseAsync();
        using var response = await service.SendAsync(HttpMethod.Get,
            "/api/cases?" + query.Replace("{case}", caseId.ToString()).Replace("{unknown}", Guid.NewGuid().ToString()), Dispatcher);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty("after", out _), "no error for after");
    }

    private async Task<JsonElement> RowAsync(Guid caseId) =>
        (await ListAsync($"/api/cases?ids={caseId}")).Single(c => c.GetProperty("caseId").GetGuid() == caseId);

    private static JsonElement? LastOutcome(JsonElement row) =>
        row.TryGetProperty("lastHandoffOutcome", out var outcome) && outcome.ValueKind != JsonValueKind.Null ? outcome : null;

    private async Task<List<JsonElement>> ListAsync(string path)
    {
        using var response = await service.SendAsync(HttpMethod.Get, path, Dispatcher);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.EnumerateArray().Select(c => c.Clone()).ToList();
    }
}
