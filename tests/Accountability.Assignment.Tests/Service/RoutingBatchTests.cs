using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>Complaints that arrive together are opened and routed together, in one transaction (RoutingBatcher).</summary>
[Collection(nameof(AssignmentService))]
public sealed class RoutingBatchTests(AssignmentService service)
{
    private static readonly string[] InternalAffairsInvestigators =
        ["p-1012", "p-1013", "p-1014", "p-1015", "p-1016", "p-1018", "p-1019", "p-1020", "p-1021"];

    [Fact]
    public async Task Complaints_that_arrive_together_share_transactions_and_still_go_each_to_whoever_has_fewest_open_cases()
    {
        var before = await OpenCasesAsync();

        var complaints = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => service.FileAsync("force", "4")));
        foreach (var complaint in complaints)
            await service.WaitForRoutingAsync(complaint.CaseId);

        // Rows a transaction inserted carry its id (xmin): fewer distinct ids than complaints means batches.
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var transactions = await connection.ExecuteScalarAsync<int>(
            "select count(distinct xmin::text) from case_events where case_id = any(@ids) and version = 1",
            new { ids = complaints.Select(c => c.CaseId).ToArray() });
        Assert.InRange(transactions, 1, complaints.Length - 1);

        // Each choice in a batch counts the ones before it: the cases are levelled out, not all given to one person.
        var after = await OpenCasesAsync();
        Assert.Equal(before.Values.Sum() + complaints.Length, after.Values.Sum());
        var spreadBefore = before.Values.Max() - before.Values.Min();
        var spreadAfter = after.Values.Max() - after.Values.Min();
        Assert.True(spreadAfter <= Math.Max(spreadBefore, 1),
            $"open cases before {string.Join(", ", before)}; after {string.Join(", ", after)}");
    }

    [Fact]
    public async Task A_complaint_that_cannot_be_opened_fails_alone_and_the_others_of_its_batch_are_routed()
    {
        var (existing, _) = await service.RoutedCaseAsync();
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var takenNumber = await connection.ExecuteScalarAsync<string>("select case_number from cases where case_id = @existing", new { existing });

        // Routing waits while the test holds the open-case counts (a batch locks its candidates' rows first): the first
        // complaint's batch blocks, and the next ten gather behind it, so they are one batch with the bad one among them.
        await using var holder = await TestDatabase.OpenAsync("assignment");
        await using var hold = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("lock table person_open_cases in exclusive mode", transaction: hold);
        var first = await service.FileAsync("misconduct", "3");
        await Eventually.HoldsAsync(async () => await connection.ExecuteScalarAsync<bool>(
            "select exists (select from pg_locks where relation = 'person_open_cases'::regclass and not granted)"), "the first batch waits on the counts");
        var good = await Task.WhenAll(Enumerable.Range(0, 9).Select(_ => service.FileAsync("misconduct", "3")));
        // A second case under a number already given out breaks the unique index: the batch fails and is routed one by one.
        var clash = await Fake.ComplaintAsync(service, takenNumber!);
        await Eventually.HoldsAsync(async () => await ReadyMessagesAsync("assignment-complaint-received") == 0, "every complaint delivered to routing");
        await hold.RollbackAsync();

        var filed = good.Prepend(first).ToArray();
        foreach (var complaint in filed)
            await service.WaitForRoutingAsync(complaint.CaseId);
        Assert.Equal(filed.Length, await connection.ExecuteScalarAsync<long>(
            "select count(*) from cases where case_id = any(@ids) and owner_kind = 'person'", new { ids = filed.Select(c => c.CaseId).ToArray() }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from cases where case_id = @CaseId", new { clash.CaseId }));
        Assert.Contains("routing them one by one", service.Process.Output);
    }

    /// <summary>Messages waiting in a queue, not yet delivered to a consumer (a passive declare's exact count).</summary>
    private static async Task<uint> ReadyMessagesAsync(string queue)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
        await using var broker = await factory.CreateConnectionAsync();
        await using var channel = await broker.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    private static async Task<Dictionary<string, int>> OpenCasesAsync()
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var counted = (await connection.QueryAsync<(string, int)>(
                "select owner_id, count(*)::int from cases where status = 'open' and owner_kind = 'person' and owner_id = any(@ids) group by owner_id",
                new { ids = InternalAffairsInvestigators }))
            .ToDictionary(r => r.Item1, r => r.Item2);
        return InternalAffairsInvestigators.ToDictionary(p => p, p => counted.GetValueOrDefault(p));
    }

    private static class Fake
    {
        /// <summary>A complaint as intake would publish it, but under a case number that is already taken.</summary>
        public static async Task<Contracts.Intake.ComplaintReceived> ComplaintAsync(AssignmentService service, string caseNumber)
        {
            var complaint = new Contracts.Intake.ComplaintReceived
            {
                CaseId = Guid.NewGuid(),
                CaseVersion = 1,
                TrackingCode = $"RPD-TEST-{Guid.NewGuid():N}"[..20],
                CaseNumber = caseNumber,
                Category = "misconduct",
                Channel = "phone",
                District = "3",
                SubjectOfficerBadges = [],
                Allegations = [],
                Anonymous = true,
                IntakeDeskUnitId = "u-intake-desk",
                ReceivedAt = DateTimeOffset.UtcNow,
                Actor = "p-1007",
                Reason = "",
            };
            await service.PublishAsync(complaint);
            return complaint;
        }
    }
}
