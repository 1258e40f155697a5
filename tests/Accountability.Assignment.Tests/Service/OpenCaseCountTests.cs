using System.Data;
using System.Net;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>
/// Routing reads each candidate's open cases from person_open_cases, which a trigger keeps (migration 0012), instead of
/// counting the cases on every complaint: the count must stay the truth through every way a case moves.
/// </summary>
[Collection(nameof(AssignmentService))]
public sealed class OpenCaseCountTests(AssignmentService service)
{
    [Fact]
    public async Task The_open_cases_routing_reads_equal_the_cases_each_person_holds_after_routing_reassignment_resolution_and_reopening()
    {
        var (caseId, owner) = await service.RoutedCaseAsync();
        await AssertKeptCountsAreTheCasesAsync("after routing");

        var other = AssignmentService.ActiveInternalAffairsInvestigators.First(p => p != owner && p != AssignmentService.SupervisorOf(owner));
        using (var reassign = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reassign", TestTokens.For("p-1011", Roles.Commander),
                   new { toPersonId = other, reason = "Balancing the unit's load" }))
            Assert.Equal(HttpStatusCode.OK, reassign.StatusCode);
        await AssertKeptCountsAreTheCasesAsync("after a reassignment");

        var token = TestTokens.For(other, Roles.Investigator);
        var allegationId = (await service.ReadCaseAsync(caseId, token)).GetProperty("allegations")[0].GetProperty("id").GetString();
        using (var finding = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/findings", token, new { allegationId, finding = "not-sustained" }))
            Assert.Equal(HttpStatusCode.OK, finding.StatusCode);
        var before = await KeptCountAsync(other);
        using (var resolve = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/resolve", token, new { reason = "Footage reviewed" }))
            Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        Assert.Equal(before - 1, await KeptCountAsync(other));
        await AssertKeptCountsAreTheCasesAsync("after a resolution");

        using (var reopen = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reopen", token, new { reason = "New witness came forward" }))
            Assert.Equal(HttpStatusCode.OK, reopen.StatusCode);
        Assert.Equal(before, await KeptCountAsync(other));
        await AssertKeptCountsAreTheCasesAsync("after reopening");
    }

    [Fact]
    public async Task A_complaint_goes_to_the_candidate_whose_kept_count_is_lowest()
    {
        // Everyone in internal affairs but one is shown a thousand more open cases than they hold: routing must read the kept counts.
        const string leastLoaded = "p-1016";
        var others = AssignmentService.ActiveInternalAffairsInvestigators.Where(p => p != leastLoaded).ToArray();
        await using var connection = await TestDatabase.OpenAsync("assignment");
        const string shift = """
            insert into person_open_cases (person_id, open_cases) select unnest(@others), @by
            on conflict (person_id) do update set open_cases = person_open_cases.open_cases + excluded.open_cases
            """;
        await connection.ExecuteAsync(shift, new { others, by = 1000 });
        try
        {
            var complaint = await service.FileAsync("force", "4");
            var routed = await service.WaitForRoutingAsync(complaint.CaseId);
            Assert.Equal(leastLoaded, routed.GetProperty("owner").GetProperty("id").GetString());
        }
        finally
        {
            await connection.ExecuteAsync(shift, new { others, by = -1000 });
        }
        await AssertKeptCountsAreTheCasesAsync("after the shift was undone");
    }

    [Fact]
    public async Task Complaints_routed_at_the_same_time_are_levelled_over_the_investigators_as_if_routed_one_by_one()
    {
        // A person who never held a case has no count row to hold: give everyone one, as after their first case.
        await using var connection = await TestDatabase.OpenAsync("assignment");
        await connection.ExecuteAsync("insert into person_open_cases (person_id, open_cases) select unnest(@ids), 0 on conflict do nothing",
            new { ids = AssignmentService.ActiveInternalAffairsInvestigators });
        var before = await OpenCasesAsync();

        var complaints = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => service.FileAsync("force", "4")));
        foreach (var complaint in complaints)
            await service.WaitForRoutingAsync(complaint.CaseId);

        // Routed concurrently (the queue's prefetch), they all read the same counts; holding each choice's row keeps
        // them from all going to the one person who had the fewest.
        var after = await OpenCasesAsync();
        Assert.Equal(before.Values.Sum() + complaints.Length, after.Values.Sum());
        var spreadBefore = before.Values.Max() - before.Values.Min();
        var spreadAfter = after.Values.Max() - after.Values.Min();
        Assert.True(spreadAfter <= Math.Max(spreadBefore, 1),
            $"open cases before {string.Join(", ", before)}; after {string.Join(", ", after)}");
        await AssertKeptCountsAreTheCasesAsync("after concurrent routing");
    }

    private static async Task<Dictionary<string, int>> OpenCasesAsync()
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var counted = (await connection.QueryAsync<(string, int)>(
                "select owner_id, count(*)::int from cases where status = 'open' and owner_kind = 'person' and owner_id = any(@ids) group by owner_id",
                new { ids = AssignmentService.ActiveInternalAffairsInvestigators }))
            .ToDictionary(r => r.Item1, r => r.Item2);
        return AssignmentService.ActiveInternalAffairsInvestigators.ToDictionary(p => p, p => counted.GetValueOrDefault(p));
    }

    private static async Task<int> KeptCountAsync(string personId)
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        return await connection.ExecuteScalarAsync<int?>("select open_cases from person_open_cases where person_id = @personId", new { personId }) ?? 0;
    }

    /// <summary>Both read in one snapshot: the trigger writes in the case's own transaction, so they agree at every instant.</summary>
    private static async Task AssertKeptCountsAreTheCasesAsync(string when)
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        await using var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        var kept = (await connection.QueryAsync<(string, int)>(
            "select person_id, open_cases from person_open_cases where open_cases <> 0 order by person_id", transaction: snapshot)).ToList();
        var counted = (await connection.QueryAsync<(string, int)>(
            "select owner_id, count(*)::int from cases where status = 'open' and owner_kind = 'person' group by owner_id order by owner_id",
            transaction: snapshot)).ToList();
        Assert.True(counted.SequenceEqual(kept), $"{when}: kept {string.Join(", ", kept)}; counted {string.Join(", ", counted)}");
    }
}
