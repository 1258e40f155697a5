using System.Diagnostics;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Recording;
using Accountability.Contracts.Custody;
using Accountability.TestSupport;
using Dapper;
using Npgsql;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>
/// The shape of an append (issue 18): the work per batch is a fixed set of statements whatever the batch
/// size, and what a case costs does not grow with its length. Checked by counting the statements sent and
/// the trail rows PostgreSQL read in the transaction, never by timing.
/// </summary>
public sealed class AppendBatchTests : IAsyncLifetime
{
    private AuditTrailHost host = null!;
    private TrailAppender appender = null!;
    private AuditDatabase database = null!;

    public async Task InitializeAsync()
    {
        // A service that migrates the schema but consumes nothing, so only this test appends.
        host = await AuditTrailHost.StartAsync(consume: false);
        database = new AuditDatabase(TestEnvironment.PostgresConnectionString, host.Schema);
        appender = new TrailAppender(database, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await database.DisposeAsync();
        await host.DisposeAsync();
    }

    [Fact]
    public async Task A_batch_of_a_hundred_events_sends_the_same_statements_as_one_event_and_takes_the_chain_lock_once()
    {
        var one = await StatementsOfAppendAsync([Received(Guid.NewGuid())]);
        var hundred = await StatementsOfAppendAsync([.. Enumerable.Range(0, 100).Select(_ => Received(Guid.NewGuid()))]);

        Assert.Equal(one.Count, hundred.Count);
        Assert.Single(hundred, s => s.Contains("pg_advisory_xact_lock", StringComparison.Ordinal));
        Assert.Single(hundred, s => s.Contains("copy audit_events", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(101, await host.CountAsync("type = 'ComplaintReceived'"));
        var verify = await host.GetJsonAsync("/api/audit/verify", AuditTrailHost.Auditor);
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
    }

    [Fact]
    public async Task Appending_to_a_case_with_five_thousand_records_reads_no_more_of_the_trail_than_appending_to_a_new_case()
    {
        var longCase = Guid.NewGuid();
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        await AppendAsync([Received(longCase, start)]);
        for (var chunk = 0; chunk < 10; chunk++)
            await AppendAsync([.. Enumerable.Range(chunk * 500 + 1, chunk == 9 ? 499 : 500).Select(i => Acknowledged(longCase, i, start.AddSeconds(i)))]);
        Assert.Equal(5000, await host.CountAsync("case_id = @longCase", new { longCase }));

        var newCase = Guid.NewGuid();
        await AppendAsync([Received(newCase, start)]);
        var readForNewCase = await TrailRowsReadWhileAppendingAsync(Acknowledged(newCase, 1, start.AddSeconds(1)));
        var readForLongCase = await TrailRowsReadWhileAppendingAsync(Acknowledged(longCase, 5000, start.AddSeconds(5000)));

        Assert.True(readForLongCase <= readForNewCase + 2, $"the long case read {readForLongCase} trail rows, a new case {readForNewCase}");
        await using var connection = await host.OpenOwnerAsync();
        var state = await connection.QuerySingleAsync<(int EventCount, string Status)>(
            "select event_count, state->>'status' from audit_case_state where case_id = @longCase", new { longCase });
        Assert.Equal(5001, state.EventCount);
    }

    [Fact]
    public async Task A_case_folded_forward_batch_by_batch_equals_its_rebuild_byte_for_byte()
    {
        // In causal order, one step per transaction: every step after the first is folded onto the stored state.
        var caseId = Guid.NewGuid();
        foreach (var step in CaseStory.Build(caseId, new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero)))
            await AppendAsync(step.Events);
        var live = await ProjectionOfAsync(caseId);
        Assert.Contains("\"status\": \"resolved\"", live.State);

        using var response = await host.PostAsync("/api/audit/projections/all/rebuild", AuditTrailHost.Admin);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var rebuilt = await ProjectionOfAsync(caseId);

        Assert.Equal(live.State, rebuilt.State);
        Assert.Equal(live.Custody, rebuilt.Custody);
    }

    private async Task<(string State, string Custody)> ProjectionOfAsync(Guid caseId)
    {
        await using var connection = await host.OpenOwnerAsync();
        var state = await connection.QuerySingleAsync<string>(
            "select state::text || '|' || event_count || '|' || last_global_seq || '|' || last_occurred_at || '|' || last_case_version from audit_case_state where case_id = @caseId",
            new { caseId });
        var custody = string.Join("\n", await connection.QueryAsync<string>(
            "select row(c.*)::text from audit_custody c where case_id = @caseId order by seq", new { caseId }));
        return (state, custody);
    }

    private async Task AppendAsync(IReadOnlyList<object> messages)
    {
        await using var connection = await TestDatabase.OpenAsync(host.Schema);
        await using var transaction = await connection.BeginTransactionAsync();
        await appender.AppendAsync(transaction, [.. messages.Select(Incoming)], CancellationToken.None);
        await transaction.CommitAsync();
    }

    /// <summary>The text of every statement Npgsql sent while one batch was appended and committed.</summary>
    private static readonly ActivitySource UnderTest = new(nameof(AppendBatchTests));

    /// <summary>
    /// The statements the append sent: Npgsql's spans in the append's own trace, since other test classes of this
    /// assembly run at the same time in this process and their statements are spans too.
    /// </summary>
    private async Task<List<string>> StatementsOfAppendAsync(IReadOnlyList<object> messages)
    {
        var statements = new List<(ActivityTraceId Trace, string Text)>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or nameof(AppendBatchTests),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Npgsql")
                    lock (statements)
                        statements.Add((activity.TraceId, string.Join(" ", activity.TagObjects.Select(t => t.Value?.ToString())) + " " + activity.DisplayName));
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var connection = await TestDatabase.OpenAsync(host.Schema);
        await using var transaction = await connection.BeginTransactionAsync();
        ActivityTraceId trace;
        using (var append = UnderTest.StartActivity("append under test")!)
        {
            trace = append.TraceId;
            await appender.AppendAsync(transaction, [.. messages.Select(Incoming)], CancellationToken.None);
        }
        List<string> sent;
        lock (statements)
            sent = [.. statements.Where(s => s.Trace == trace).Select(s => s.Text)];
        await transaction.CommitAsync();
        return sent;
    }

    /// <summary>Rows of audit_events that PostgreSQL fetched in the appending transaction (its own statistics, before commit).</summary>
    private async Task<long> TrailRowsReadWhileAppendingAsync(object message)
    {
        await using var connection = await TestDatabase.OpenAsync(host.Schema);
        await using var transaction = await connection.BeginTransactionAsync();
        await appender.AppendAsync(transaction, [Incoming(message)], CancellationToken.None);
        var read = await connection.ExecuteScalarAsync<long>(
            """
            select coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)::bigint from pg_stat_xact_user_tables
            where relname = 'audit_events' and schemaname = current_schema()
            """, transaction: transaction);
        await transaction.CommitAsync();
        return read;
    }

    private static IncomingEvent Incoming(object message) =>
        new(Guid.NewGuid(), message, AuditedMessages.For(message.GetType()), null);

    private static object Received(Guid caseId, DateTimeOffset? at = null) =>
        CaseStory.Build(caseId, at ?? DateTimeOffset.UtcNow)[0].Events[0];

    private static CaseAcknowledged Acknowledged(Guid caseId, long version, DateTimeOffset at) => new()
    {
        CaseId = caseId, CaseVersion = version + 1, Actor = "p-1014", Reason = "", OccurredAt = at, OwnerKind = "person", OwnerId = "p-1014",
    };
}
