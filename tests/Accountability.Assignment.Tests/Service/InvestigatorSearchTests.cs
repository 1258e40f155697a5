using System.Net;
using System.Text.Json;
using Accountability.Contracts.Escalation;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>GET /api/cases as an investigator's search (issue 12): by number, by officer badge or name, by ids, most urgent first.</summary>
[Collection(nameof(AssignmentService))]
public sealed class InvestigatorSearchTests(AssignmentService service)
{
    // p-1031 (Lily Chen, badge 1569) is the subject; p-1030 is her sergeant, p-1029 their commander.
    private const string SubjectBadge = "1569";

    [Fact]
    public async Task The_subject_officer_and_her_sergeant_search_by_case_number_and_by_her_badge_or_name_and_get_nothing()
    {
        var complaint = await service.FileAsync("force", "2", SubjectBadge);
        await service.WaitForRoutingAsync(complaint.CaseId);

        foreach (var (person, role) in new[] { ("p-1031", Roles.Investigator), ("p-1030", Roles.Supervisor), ("p-1029", Roles.Commander) })
        {
            var token = TestTokens.For(person, role);
            foreach (var query in new[] { $"number={complaint.CaseNumber}", $"officer={SubjectBadge}", "officer=lily chen", $"ids={complaint.CaseId}" })
                Assert.Empty(await SearchAsync(query, token));
        }
    }

    [Fact]
    public async Task The_owner_finds_the_case_by_number_by_the_officers_badge_and_by_part_of_the_officers_name()
    {
        var complaint = await service.FileAsync("force", "2", SubjectBadge);
        var owner = (await service.WaitForRoutingAsync(complaint.CaseId)).GetProperty("owner").GetProperty("id").GetString()!;
        var token = TestTokens.For(owner, Roles.Investigator);

        foreach (var query in new[] { $"number={complaint.CaseNumber}", $"officer={SubjectBadge}", "officer=LILY", "officer=%20chen%20" })
            Assert.Contains(complaint.CaseId, await SearchAsync(query + "&limit=500", token));
        Assert.DoesNotContain(complaint.CaseId, await SearchAsync("officer=nobody-by-this-name&limit=500", token));
    }

    [Fact]
    public async Task A_dispatcher_finds_a_case_by_its_number_but_never_by_the_officer_it_is_about()
    {
        // The board's view hides the allegations; a search by officer would reveal them one case at a time.
        var complaint = await service.FileAsync("force", "2", SubjectBadge);
        await service.WaitForRoutingAsync(complaint.CaseId);
        var dispatcher = TestTokens.For("p-1009", Roles.Dispatcher);

        Assert.Equal([complaint.CaseId], await SearchAsync($"number={complaint.CaseNumber}", dispatcher));
        Assert.DoesNotContain(complaint.CaseId, await SearchAsync($"officer={SubjectBadge}&limit=500", dispatcher));
        Assert.Contains(complaint.CaseId, await SearchAsync($"officer={SubjectBadge}&limit=500", TestTokens.For("p-1004", Roles.Auditor)));
    }

    [Fact]
    public async Task Sorted_by_urgency_a_breached_case_comes_first_then_the_oldest_open_one_and_resolved_cases_last()
    {
        var oldest = await service.FileAsync("discourtesy", "4");
        var breached = await service.FileAsync("discourtesy", "4");
        var resolved = await service.FileAsync("discourtesy", "4");
        var newest = await service.FileAsync("discourtesy", "4");
        var owners = new Dictionary<Guid, string>();
        foreach (var complaint in new[] { oldest, breached, resolved, newest })
            owners[complaint.CaseId] = (await service.WaitForRoutingAsync(complaint.CaseId)).GetProperty("owner").GetProperty("id").GetString()!;

        using (var done = await service.SendAsync(HttpMethod.Post, $"/api/cases/{resolved.CaseId}/resolve", TestTokens.For(owners[resolved.CaseId], Roles.Investigator),
                   new { reason = "Nothing to find: the complainant withdrew." }))
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        await service.PublishAsync(new SlaBreached
        {
            CaseId = breached.CaseId, CaseVersion = 1, Actor = "system:escalation", Reason = "The resolution clock ran out.", OccurredAt = DateTimeOffset.UtcNow,
            Clock = SlaClocks.Resolution, Percent = 100, DueAt = DateTimeOffset.UtcNow.AddMinutes(-1), OwnerKind = "person", OwnerId = owners[breached.CaseId],
            PolicyVersion = 1, Late = false, Lateness = TimeSpan.Zero,
        });
        await service.WaitForOwnerAsync(breached.CaseId, c => c.GetProperty("overdue").GetBoolean(), "the breach marks the case overdue");

        var ids = string.Join(',', new[] { oldest, breached, resolved, newest }.Select(c => c.CaseId));
        var auditor = TestTokens.For("p-1004", Roles.Auditor);

        Assert.Equal([breached.CaseId, oldest.CaseId, newest.CaseId, resolved.CaseId], await SearchAsync($"ids={ids}&sort=urgency", auditor));
        Assert.Equal([newest.CaseId, resolved.CaseId, breached.CaseId, oldest.CaseId], await SearchAsync($"ids={ids}", auditor));
        Assert.Equal([resolved.CaseId], await SearchAsync($"ids={ids}&status=resolved", auditor));
    }

    [Theory]
    [InlineData("sort=deadline", "sort")]
    [InlineData("ids=not-a-guid", "ids")]
    [InlineData("ids=,", "ids")]
    [InlineData("officer=%20%20", "officer")]
    [InlineData("officer=%0A", "officer")]
    [InlineData("status=closed", "status")]
    public async Task A_bad_search_gets_a_field_level_400(string query, string field)
    {
        using var response = await service.SendAsync(HttpMethod.Get, $"/api/cases?{query}", TestTokens.For("p-1014", Roles.Investigator));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var reasons) && reasons.GetArrayLength() > 0, errors.ToString());
    }

    [Fact]
    public async Task More_than_100_ids_get_a_field_level_400()
    {
        var ids = string.Join(',', Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()));
        using var response = await service.SendAsync(HttpMethod.Get, $"/api/cases?ids={ids}", TestTokens.For("p-1014", Roles.Investigator));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ids", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").ToString());
    }

    private async Task<List<Guid>> SearchAsync(string query, string token)
    {
        using var response = await service.SendAsync(HttpMethod.Get, $"/api/cases?{query}", token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.EnumerateArray().Select(c => c.GetProperty("caseId").GetGuid()).ToList();
    }
}
