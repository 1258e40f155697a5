using System.Globalization;
using System.Text.Json;
using Accountability.Audit.Verification;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Audit.Tests.Service;

[Collection(nameof(SharedAuditTrail))]
public sealed class ReplayTests(SharedAuditTrail trail)
{
    private AuditTrailHost Host => trail.Host;

    private static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);

    /// <summary>Records a whole story, sent newest first, so the trail's arrival order is the reverse of the causal one.</summary>
    private async Task<(Guid CaseId, IReadOnlyList<StoryStep> Steps, Dictionary<object, string> TraceParents)> RecordStoryAsync()
    {
        var caseId = Guid.NewGuid();
        var steps = CaseStory.Build(caseId, new DateTimeOffset(2026, 3, 3, 14, 0, 0, TimeSpan.Zero));
        var traceParents = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        foreach (var message in steps.SelectMany(s => s.Events).Reverse())
        {
            traceParents[message] = CaseStory.NewTraceParent();
            await Host.SendAsync(message, traceParent: traceParents[message]);
        }
        await Host.WaitForCaseRecordsAsync(caseId, steps.Sum(s => s.Events.Count));
        return (caseId, steps, traceParents);
    }

    [Fact]
    public async Task The_state_as_of_every_step_boundary_is_the_state_after_that_step_even_when_events_arrive_in_reverse()
    {
        var (caseId, steps, _) = await RecordStoryAsync();

        var before = await Host.GetJsonAsync($"/api/audit/cases/{caseId}/state?asOf={Instant(steps[0].At.AddSeconds(-1))}");
        Assert.Equal("not-yet-received", before.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, before.GetProperty("owner").ValueKind);

        foreach (var step in steps)
        {
            foreach (var asOf in new[] { step.At, step.At.AddSeconds(59) })
            {
                var state = await Host.GetJsonAsync($"/api/audit/cases/{caseId}/state?asOf={Uri.EscapeDataString(Instant(asOf))}");
                var why = $"after '{step.Name}' (asOf {Instant(asOf)}): {state}";
                Assert.True(step.Status == state.GetProperty("status").GetString(), why);
                Assert.True(step.OwnerId == state.GetProperty("owner").GetProperty("id").GetString(), why);
                Assert.True(step.HandoffPending == (state.GetProperty("pendingHandoff").ValueKind == JsonValueKind.Object), why);
                Assert.True(step.Acknowledged == state.GetProperty("acknowledged").GetBoolean(), why);
                Assert.True(step.CustodyIntervals == state.GetProperty("custody").GetArrayLength(), why);
            }
        }

        var final = await Host.GetJsonAsync($"/api/audit/cases/{caseId}/state?asOf={Instant(steps[^1].At)}");
        var finding = Assert.Single(final.GetProperty("allegations").EnumerateArray());
        Assert.Equal("not-sustained", finding.GetProperty("finding").GetString());
        var pending = (await Host.GetJsonAsync($"/api/audit/cases/{caseId}/state?asOf={Instant(steps[2].At)}")).GetProperty("pendingHandoff");
        Assert.Equal(CaseStory.SecondInvestigator, pending.GetProperty("to").GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_custody_chain_built_from_the_trail_has_no_gaps_and_names_every_owner_and_why()
    {
        var (caseId, steps, _) = await RecordStoryAsync();

        var custody = (await Host.GetJsonAsync($"/api/audit/cases/{caseId}/custody")).EnumerateArray().ToList();

        Assert.Equal(
            [CaseStory.Desk, CaseStory.FirstInvestigator, CaseStory.SecondInvestigator, CaseStory.Supervisor, CaseStory.SecondInvestigator],
            custody.Select(i => i.GetProperty("owner").GetProperty("id").GetString()));
        Assert.Equal(["received", "routed", "handoff", "escalated", "reopened"], custody.Select(i => i.GetProperty("transferKind").GetString()));
        for (var i = 1; i < custody.Count; i++)
            Assert.Equal(custody[i - 1].GetProperty("to").GetDateTimeOffset(), custody[i].GetProperty("from").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, custody[^1].GetProperty("to").ValueKind);
        Assert.Equal("first-contact clock breached", custody[3].GetProperty("reason").GetString());
        Assert.Equal(steps[5].At, custody[3].GetProperty("from").GetDateTimeOffset());
    }

    [Fact]
    public async Task The_trail_lists_every_step_in_causal_order_with_actor_owner_reason_and_the_producers_trace_id()
    {
        var (caseId, steps, traceParents) = await RecordStoryAsync();

        var trail = (await Host.GetJsonAsync($"/api/audit/cases/{caseId}/trail")).EnumerateArray().ToList();

        var events = steps.SelectMany(s => s.Events).ToList();
        Assert.Equal(events.Count, trail.Count);
        Assert.Equal(events.Select(e => e.GetType().Name).Order(), trail.Select(t => t.GetProperty("type").GetString()).Order());
        var times = trail.Select(t => t.GetProperty("occurredAt").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        // Sent in reverse: the seq (arrival) runs against the causal order of the listing.
        Assert.True(trail[0].GetProperty("seq").GetInt64() > trail[^1].GetProperty("seq").GetInt64());

        var expectedTraceIds = traceParents.Values.Select(tp => tp.Substring(3, 32)).Order().ToList();
        Assert.Equal(expectedTraceIds, trail.Select(t => t.GetProperty("traceId").GetString()).Order());

        var escalation = trail.Single(t => t.GetProperty("type").GetString() == "CustodyTransferred" && t.GetProperty("reason").GetString() == "first-contact clock breached");
        Assert.Equal("system:escalation", escalation.GetProperty("actor").GetString());
        Assert.Equal(CaseStory.Supervisor, escalation.GetProperty("owner").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_rebuild_of_the_projections_reproduces_them_byte_for_byte()
    {
        var (caseId, _, _) = await RecordStoryAsync();
        async Task<(string State, string Custody)> SnapshotAsync()
        {
            await using var connection = await Host.OpenOwnerAsync();
            var state = await connection.QuerySingleAsync<string>(
                "select state::text || '|' || event_count || '|' || last_global_seq from audit_case_state where case_id = @caseId", new { caseId });
            var custody = string.Join("\n", await connection.QueryAsync<string>(
                "select row(c.*)::text from audit_custody c where case_id = @caseId order by seq", new { caseId }));
            return (state, custody);
        }
        var before = await SnapshotAsync();
        Assert.Contains("\"status\": \"resolved\"", before.State);

        using var response = await Host.PostAsync("/api/audit/projections/all/rebuild", AuditTrailHost.Admin);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var after = await SnapshotAsync();

        Assert.Equal(before.State, after.State);
        Assert.Equal(before.Custody, after.Custody);

        var cli = await Host.RunCliAsync("rebuild", "custody");
        Assert.True(cli.ExitCode == 0, cli.Error + cli.Output);
        Assert.Equal(before.Custody, (await SnapshotAsync()).Custody);

        // Issue 17, finding 10: a rebuild, and who asked for it, is itself in the trail.
        await Eventually.HoldsAsync(async () =>
                await Host.CountAsync("type = 'ProjectionRebuilt' and body->>'actor' = 'p-1005' and json_array_length(body->'projections') = 2", new { }) == 1
                && await Host.CountAsync("type = 'ProjectionRebuilt' and body->>'actor' like 'cli:%' and (body->'projections')::jsonb = '[\"custody\"]'::jsonb", new { }) == 1,
            // Past the relay's fallback poll (30 s): the CLI's row is its own process's commit, and a NOTIFY the relay
            // missed (its listener reconnecting on a loaded machine) leaves the row to that poll.
            "both rebuilds are recorded in the trail with who asked", TimeSpan.FromSeconds(75));
    }

    /// <summary>
    /// The rebuild writes one page while a second connection reads and folds the next. With pages of two cases, five
    /// stories span several pages, so every write overlaps a fold, and the last page is written after the reading ends.
    /// </summary>
    [Fact]
    public async Task A_rebuild_in_many_small_pages_reproduces_every_case_byte_for_byte()
    {
        var caseIds = new List<Guid>();
        for (var i = 0; i < 5; i++)
            caseIds.Add((await RecordStoryAsync()).CaseId);
        async Task<string> SnapshotAsync()
        {
            await using var connection = await Host.OpenOwnerAsync();
            var states = await connection.QueryAsync<string>(
                "select case_id || '|' || state::text || '|' || event_count || '|' || last_global_seq from audit_case_state where case_id = any(@caseIds) order by case_id",
                new { caseIds = caseIds.ToArray() });
            var custody = await connection.QueryAsync<string>(
                "select row(c.*)::text from audit_custody c where case_id = any(@caseIds) order by case_id, seq", new { caseIds = caseIds.ToArray() });
            return string.Join("\n", states.Concat(custody));
        }
        var before = await SnapshotAsync();
        Assert.Equal(5, before.Split('\n').Count(line => line.Contains("\"status\": \"resolved\"", StringComparison.Ordinal)));

        await using (var connection = await Host.OpenOwnerAsync())
        {
            var result = await Features.Projections.CaseProjections.RebuildAsync(
                connection, _ => Host.OpenOwnerAsync(), Host.Schema, Features.Projections.CaseProjections.Names, "test:small-pages", progress: null, CancellationToken.None, pageCases: 2);
            Assert.True(result.Cases >= 5, $"{result.Cases} cases rebuilt");
        }

        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_rebuild_whose_reading_connection_fails_says_why_and_leaves_the_projections_as_they_were()
    {
        async Task<string?> StateAsync(Guid caseId)
        {
            await using var connection = await Host.OpenOwnerAsync();
            return await connection.QuerySingleOrDefaultAsync<string>("select state::text from audit_case_state where case_id = @caseId", new { caseId });
        }
        var first = (await RecordStoryAsync()).CaseId;
        var before = await StateAsync(first);
        Assert.NotNull(before);

        await using (var connection = await Host.OpenOwnerAsync())
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Features.Projections.CaseProjections.RebuildAsync(
                connection, _ => throw new InvalidOperationException("the reading connection is refused"), Host.Schema,
                Features.Projections.CaseProjections.Names, "test:failing-read", progress: null, CancellationToken.None));
            Assert.Equal("the reading connection is refused", failure.Message);
        }

        // The truncate was rolled back with the rest, nothing was announced, and the chain lock was let go: the next
        // story is appended and folded as usual.
        Assert.Equal(before, await StateAsync(first));
        var next = (await RecordStoryAsync()).CaseId;
        Assert.NotNull(await StateAsync(next));
        Assert.Equal(0, await Host.CountAsync("type = 'ProjectionRebuilt' and body->>'actor' = 'test:failing-read'"));
    }

    [Fact]
    public async Task A_redelivered_event_is_recorded_once()
    {
        var caseId = Guid.NewGuid();
        var step = CaseStory.Build(caseId, DateTimeOffset.UtcNow)[0];
        var messageId = Guid.NewGuid();
        await Host.SendAsync(step.Events[0], messageId);
        await Host.SendAsync(step.Events[0], messageId);
        await Host.SendAsync(step.Events[1]);
        await Host.WaitForCaseRecordsAsync(caseId, 2);

        // The second copy was sent before the third event, so once that is in, the duplicate has had its chance.
        Assert.Equal(1, await Host.CountAsync("event_id = @messageId", new { messageId }));
        Assert.Equal(2, await Host.CountAsync("case_id = @caseId", new { caseId }));
    }

    [Fact]
    public async Task Concurrent_appends_keep_one_unbroken_chain_per_case_and_globally()
    {
        var cases = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        var sends = cases.SelectMany(c => CaseStory.Build(c, DateTimeOffset.UtcNow).SelectMany(s => s.Events)).Select(e => Host.SendAsync(e));
        await Task.WhenAll(sends);
        foreach (var caseId in cases)
            await Host.WaitForCaseRecordsAsync(caseId, 16);

        await using var connection = await Host.OpenOwnerAsync();
        foreach (var caseId in cases)
        {
            var seqs = (await connection.QueryAsync<long>("select case_seq from audit_events where case_id = @caseId order by case_seq", new { caseId })).ToList();
            Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i), seqs);
        }
        var verify = await Host.GetJsonAsync("/api/audit/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
    }

    [Fact]
    public async Task Checkpoints_verify_with_the_exported_public_key_alone()
    {
        var caseId = Guid.NewGuid();
        foreach (var message in CaseStory.Build(caseId, DateTimeOffset.UtcNow).SelectMany(s => s.Events).Take(4))
            await Host.SendAsync(message);
        await Host.WaitForCaseRecordsAsync(caseId, 4);

        var publicKey = await Host.GetJsonAsync("/api/audit/public-key", token: null);
        using var key = CheckpointSignature.ImportPublicKey(publicKey.GetProperty("publicKeyPem").GetString()!);
        var checkpoints = await Eventually.ReturnsAsync(
            async () => (await Host.GetJsonAsync("/api/audit/checkpoints")).EnumerateArray().ToList(),
            list => list.Count > 0, "a checkpoint is signed");

        foreach (var checkpoint in checkpoints)
        {
            var signed = new Checkpoint(
                checkpoint.GetProperty("globalSeq").GetInt64(),
                Convert.FromHexString(checkpoint.GetProperty("hash").GetString()!),
                checkpoint.GetProperty("keyId").GetString()!,
                checkpoint.GetProperty("signedAt").GetDateTimeOffset(),
                Convert.FromBase64String(checkpoint.GetProperty("signature").GetString()!));
            Assert.Equal(publicKey.GetProperty("keyId").GetString(), signed.KeyId);
            Assert.True(CheckpointSignature.Verify(key, signed), $"checkpoint {signed.GlobalSeq} verifies");
        }
    }
}
