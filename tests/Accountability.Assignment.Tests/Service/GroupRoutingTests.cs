using System.Net;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using MassTransit;
using Npgsql;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>New complaints are opened and routed in groups (one transaction for all that arrive together).</summary>
[Collection(nameof(AssignmentService))]
public sealed class GroupRoutingTests(AssignmentService service)
{
    [Fact]
    public async Task Complaints_filed_at_once_go_to_the_least_loaded_investigators_in_turn_as_if_routed_one_by_one()
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var before = await OpenCasesAsync(connection);

        // Eighteen at once, two for each investigator: they arrive together, and each choice must count the ones before it.
        var filed = await Task.WhenAll(Enumerable.Range(0, 18).Select(_ => service.FileAsync("force", "2")));
        foreach (var complaint in filed)
            await service.WaitForRoutingAsync(complaint.CaseId);

        // Least loaded first, the smaller id on a tie, one complaint at a time: what the routing rules promise.
        var expected = new Dictionary<string, int>(before);
        for (var i = 0; i < filed.Length; i++)
        {
            var next = expected.OrderBy(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).First().Key;
            expected[next]++;
        }
        Assert.Equal(expected.OrderBy(p => p.Key), (await OpenCasesAsync(connection)).OrderBy(p => p.Key));
    }

    [Fact]
    public async Task The_open_case_counts_routing_reads_stay_equal_to_the_open_cases_through_receipts_a_reassignment_a_resolution_and_a_reopening()
    {
        // Complaints that arrive together: one insert statement for the group.
        var filed = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => service.FileAsync("force", "2", "1569")));
        var owners = new Dictionary<Guid, string>();
        foreach (var complaint in filed)
            owners[complaint.CaseId] = (await service.WaitForRoutingAsync(complaint.CaseId)).GetProperty("owner").GetProperty("id").GetString()!;
        await AssertCountsMatchTheCasesAsync();

        // A reassignment: one owner's count falls, another's rises.
        var moved = filed[0].CaseId;
        var receiver = AssignmentService.ActiveInternalAffairsInvestigators.First(p => p != owners[moved]);
        using (var reassign = await service.SendAsync(HttpMethod.Post, $"/api/cases/{moved}/reassign", TestTokens.For("p-1011", Roles.Commander),
                   new { toPersonId = receiver, reason = "Balancing the unit's work" }))
            Assert.True(reassign.IsSuccessStatusCode, await reassign.Content.ReadAsStringAsync());
        await service.WaitForOwnerAsync(moved, c => c.GetProperty("owner").GetProperty("id").GetString() == receiver, $"case {moved} is reassigned");
        await AssertCountsMatchTheCasesAsync();

        // A resolution takes the case off its owner's count, and a reopening puts it back.
        var closed = filed[1].CaseId;
        var token = TestTokens.For(owners[closed], Roles.Investigator);
        var allegationId = (await service.ReadCaseAsync(closed, token)).GetProperty("allegations")[0].GetProperty("id").GetString();
        using (var finding = await service.SendAsync(HttpMethod.Post, $"/api/cases/{closed}/findings", token, new { allegationId, finding = "sustained" }))
            Assert.Equal(HttpStatusCode.OK, finding.StatusCode);
        var before = await CountOfAsync(owners[closed]);
        using (var resolve = await service.SendAsync(HttpMethod.Post, $"/api/cases/{closed}/resolve", token, new { reason = "Retrained." }))
            Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        Assert.Equal(before - 1, await CountOfAsync(owners[closed]));
        await AssertCountsMatchTheCasesAsync();
        using (var reopen = await service.SendAsync(HttpMethod.Post, $"/api/cases/{closed}/reopen", token, new { reason = "New witness came forward" }))
            Assert.Equal(HttpStatusCode.OK, reopen.StatusCode);
        Assert.Equal(before, await CountOfAsync(owners[closed]));
        await AssertCountsMatchTheCasesAsync();
    }

    /// <summary>Every owner's kept count against a count of the case rows, in one statement (one snapshot).</summary>
    private static async Task AssertCountsMatchTheCasesAsync()
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var differences = (await connection.QueryAsync<(string Owner, int Counted, int Kept)>(OpenCaseCounts.MiscountedOwnersSql)).ToList();
        Assert.True(differences.Count == 0, "kept counts differ from the cases: " + string.Join(", ", differences));
        Assert.True(await connection.ExecuteScalarAsync<int>("select count(*)::int from open_case_counts where open_cases > 0") > 0);
    }

    private static async Task<int> CountOfAsync(string personId)
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        return await connection.ExecuteScalarAsync<int>(
            "select coalesce((select open_cases from open_case_counts where owner_kind = 'person' and owner_id = @personId), 0)", new { personId });
    }

    private static async Task<Dictionary<string, int>> OpenCasesAsync(NpgsqlConnection connection)
    {
        var counts = (await connection.QueryAsync<(string Owner, int Open)>(
                "select owner_id, count(*)::int from cases where status = 'open' and owner_kind = 'person' and owner_id = any(@ids) group by owner_id",
                new { ids = AssignmentService.ActiveInternalAffairsInvestigators }))
            .ToDictionary(r => r.Owner, r => r.Open);
        return AssignmentService.ActiveInternalAffairsInvestigators.ToDictionary(id => id, id => counts.GetValueOrDefault(id));
    }
}

/// <summary>A group the database refuses is routed again one complaint at a time: the bad one fails alone.</summary>
public sealed class GroupRoutingFailureTests
{
    [Fact]
    public async Task A_complaint_the_database_refuses_goes_to_the_error_queue_alone_and_the_complaints_that_arrived_with_it_are_routed()
    {
        await IsolatedAssignment.RunAsync("group_routing", async (connectionString, vhost, settings) =>
        {
            var bus = await IsolatedAssignment.StartBusAsync(vhost.AmqpUri);
            try
            {
                // A first case, so that its case number is taken.
                await using var service = await ServiceProcess.StartAsync("Assignment", settings);
                var taken = Complaint("IA-GROUP-TAKEN");
                await bus.Publish(taken);
                await Eventually.HoldsAsync(async () => await IsolatedAssignment.RoutedAsync(connectionString, taken.CaseId), "the first case is routed");

                // The next write waits on a lock the test holds, so the complaints published meanwhile gather into one group
                // behind it: six good ones and one whose case number another case has. Before, they waited in the queue for the
                // service to start, and whichever reached the writer first was written alone: now and then that was the clash.
                await using var holder = new NpgsqlConnection(connectionString);
                await holder.OpenAsync();
                await using var lockHeld = await holder.BeginTransactionAsync();
                await holder.ExecuteAsync("lock table assignment.case_events in share mode", transaction: lockHeld);
                var ahead = Complaint("IA-GROUP-AHEAD");
                await bus.Publish(ahead);
                await Eventually.HoldsAsync(async () => await holder.ExecuteScalarAsync<bool>(
                        "select exists (select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock')"),
                    "the write of the complaint ahead waits on the lock");
                var good = Enumerable.Range(1, 6).Select(i => Complaint($"IA-GROUP-{i}")).ToList();
                var clash = Complaint("IA-GROUP-TAKEN");
                foreach (var complaint in good.Take(3).Append(clash).Concat(good.Skip(3)))
                    await bus.Publish(complaint);
                await Eventually.HoldsAsync(async () => await vhost.QueueDepthAsync("assignment-complaint-received") == 0,
                    "the seven complaints are delivered to the service");
                // Delivered is not yet handed to the writer; a moment more lets the consumers get there.
                await Task.Delay(TimeSpan.FromSeconds(2));
                await lockHeld.RollbackAsync();
                good.Add(ahead);

                await Eventually.HoldsAsync(async () => await vhost.QueueDepthAsync("assignment-complaint-received_error") == 1,
                    "the complaint whose case number is taken waits in the error queue", TimeSpan.FromSeconds(60));
                foreach (var complaint in good)
                    Assert.True(await IsolatedAssignment.RoutedAsync(connectionString, complaint.CaseId), $"{complaint.CaseNumber} is routed");
                await using var connection = new NpgsqlConnection(connectionString);
                Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
                    "select count(*) from assignment.case_events where case_id = @CaseId", new { clash.CaseId }));
                Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
                    "select count(*) from assignment.outbox where body->>'caseId' = @caseId", new { caseId = clash.CaseId.ToString() }));
                Assert.Contains("complaints together failed; writing them one at a time", service.Output, StringComparison.Ordinal);
            }
            finally
            {
                await bus.StopAsync();
            }
        });
    }

    [Fact]
    public async Task A_service_stopped_while_complaints_wait_for_their_group_sends_none_to_the_error_queue_and_the_next_start_routes_them_all()
    {
        await IsolatedAssignment.RunAsync("group_stop", async (connectionString, vhost, settings) =>
        {
            // The queue exists once the service has run; then three hundred complaints wait in it.
            await (await ServiceProcess.StartAsync("Assignment", settings)).DisposeAsync();
            var complaints = Enumerable.Range(0, 300).Select(_ => AssignmentService.Complaint("force", "2", [])).ToList();
            var bus = await IsolatedAssignment.StartBusAsync(vhost.AmqpUri);
            try
            {
                await Task.WhenAll(complaints.Select(c => bus.Publish(c)));
            }
            finally
            {
                await bus.StopAsync();
            }

            // Stopped (SIGTERM, as an orchestrator does) while groups are being written and others wait for theirs.
            var first = await ServiceProcess.StartAsync("Assignment", settings);
            await Eventually.HoldsAsync(async () => await RoutedCountAsync(connectionString, complaints) > 0, "routing has begun");
            await first.StopAsync();
            await first.DisposeAsync();

            await using var second = await ServiceProcess.StartAsync("Assignment", settings);
            await Eventually.HoldsAsync(async () => await RoutedCountAsync(connectionString, complaints) == complaints.Count,
                "every complaint is routed after the restart", TimeSpan.FromSeconds(90));
            Assert.Equal(0u, await vhost.QueueDepthAsync("assignment-complaint-received_error"));
        });
    }

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    public async Task A_routing_prefetch_that_is_not_a_count_from_1_to_10000_stops_the_start_naming_the_setting(string prefetch) =>
        Assert.Contains("Routing:PrefetchCount",
            await ServiceProcess.OutputOfRefusedStartAsync("Assignment", new Dictionary<string, string> { ["Routing__PrefetchCount"] = prefetch }),
            StringComparison.Ordinal);

    private static ComplaintReceived Complaint(string caseNumber) => AssignmentService.Complaint("force", "2", [], caseNumber);

    private static async Task<long> RoutedCountAsync(string connectionString, IReadOnlyList<ComplaintReceived> complaints)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<long>(
            "select count(*) from assignment.cases where case_id = any(@ids) and owner_id <> 'u-intake-desk'",
            new { ids = complaints.Select(c => c.CaseId).ToArray() });
    }

}
