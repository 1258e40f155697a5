using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Accountability.TestSupport;
using Dapper;
using Npgsql;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>
/// Each test tampers with a trail of its own: a dedicated Audit process on a fresh schema, so the
/// damage can never reach another test's chain. The tampering runs as the table owner (the
/// service's own role could not do it) and holds the chain lock, so no append interleaves with it.
/// </summary>
public sealed class TamperTests
{
    private static async Task<(AuditTrailHost Host, List<long> CaseRecords)> TrailWithCaseAsync()
    {
        var host = await AuditTrailHost.StartAsync(checkpointEveryEvents: 2);
        var caseId = Guid.NewGuid();
        foreach (var message in CaseStory.Build(caseId, DateTimeOffset.UtcNow).SelectMany(s => s.Events).Take(6))
            await host.SendAsync(message);
        await host.WaitForCaseRecordsAsync(caseId, 6);
        var before = await host.GetJsonAsync("/api/audit/verify");
        Assert.True(before.GetProperty("valid").GetBoolean(), $"the untouched trail verifies: {before}");
        await using var connection = await host.OpenOwnerAsync();
        var records = (await connection.QueryAsync<long>("select global_seq from audit_events where case_id = @caseId order by case_seq", new { caseId })).ToList();
        return (host, records);
    }

    private static async Task TamperAsync(AuditTrailHost host, Func<NpgsqlConnection, NpgsqlTransaction, Task> tamper)
    {
        await using var connection = await host.OpenOwnerAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ChainLock.AcquireChainAsync(transaction, host.Schema, CancellationToken.None);
        await tamper(connection, transaction);
        await transaction.CommitAsync();
    }

    private static async Task AssertNamedAsync(AuditTrailHost host, long globalSeq, string problem)
    {
        var result = await host.GetJsonAsync("/api/audit/verify");
        Assert.False(result.GetProperty("valid").GetBoolean(), result.ToString());
        var bad = result.GetProperty("firstBadRecord");
        Assert.True(globalSeq == bad.GetProperty("globalSeq").GetInt64() && problem == bad.GetProperty("problem").GetString(), result.ToString());

        var cli = await host.RunCliAsync("verify", "--json");
        Assert.True(cli.ExitCode == 1, $"exit {cli.ExitCode}: {cli.Output}{cli.Error}");
        var cliBad = JsonDocument.Parse(cli.Output).RootElement.GetProperty("firstBadRecord");
        Assert.Equal(globalSeq, cliBad.GetProperty("globalSeq").GetInt64());
        Assert.Equal(problem, cliBad.GetProperty("problem").GetString());
    }

    [Fact]
    public async Task Cutting_the_newest_records_and_their_checkpoints_is_caught_by_the_witness_and_by_the_cli_which_name_the_missing_range()
    {
        // Issue 17, finding 5: records after the last checkpoint, and the checkpoints themselves, could be removed unnoticed.
        await using var vhost = await IsolatedVirtualHost.CreateAsync("witness");
        await using var witness = await ServiceProcess.StartAsync("Notification", new Dictionary<string, string>
        {
            ["Notification__Schema"] = TestDatabase.NewSchema("notif_w"),
            ["RabbitMq__Uri"] = vhost.AmqpUri,
            ["Notification__Smtp__Host"] = "127.0.0.1",
            ["Notification__Smtp__Port"] = "9",
            ["Notification__PublicBaseUrl"] = "http://127.0.0.1:5104",
        });
        var host = await AuditTrailHost.StartAsync(checkpointEveryEvents: 2, extra: new Dictionary<string, string>
        {
            ["RabbitMq__Uri"] = vhost.AmqpUri,
            ["Audit__WitnessUrl"] = witness.BaseAddress.ToString(),
        });
        await using var _ = host;
        var caseId = Guid.NewGuid();
        foreach (var message in CaseStory.Build(caseId, DateTimeOffset.UtcNow).SelectMany(s => s.Events).Take(6))
            await host.SendAsync(message);
        await host.WaitForCaseRecordsAsync(caseId, 6);

        // The witness (notification) has seen the newest signed head, outside the audit schema.
        await using (var owner = await host.OpenOwnerAsync())
        {
            var signed = await Eventually.ReturnsAsync(() => owner.ExecuteScalarAsync<long>("select coalesce(max(global_seq), 0) from audit_checkpoints"),
                seq => seq >= 6, "the last records are signed");
            await Eventually.ReturnsAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/trail-witness/{host.Schema}");
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AuditTrailHost.Auditor);
                using var response = await witness.Client.SendAsync(request);
                return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("globalSeq").GetInt64() : 0;
            }, seq => seq == signed, "the witness holds the newest signed head");
        }
        var verifiedFirst = await host.RunCliAsync("verify"); // the auditor's tool remembers the head it saw
        Assert.True(verifiedFirst.ExitCode == 0, verifiedFirst.Output + verifiedFirst.Error);
        var last = await host.CountAsync();

        // An insider with the owner's rights cuts everything after record 3, checkpoints included.
        await TamperAsync(host, async (connection, transaction) =>
        {
            await connection.ExecuteAsync("delete from audit_checkpoints where global_seq > 3", transaction: transaction);
            await connection.ExecuteAsync("delete from audit_events where global_seq > 3", transaction: transaction);
        });

        // The database alone still looks intact: that is what the witness is for.
        var blind = await host.RunCliAsync("verify", "--no-witness");
        Assert.True(blind.ExitCode == 0, blind.Output);

        var result = await host.GetJsonAsync("/api/audit/verify");
        Assert.False(result.GetProperty("valid").GetBoolean(), result.ToString());
        Assert.Equal("deleted", result.GetProperty("firstBadRecord").GetProperty("problem").GetString());
        Assert.Contains($"Records 4 to {last} are missing", result.GetProperty("message").GetString());
        Assert.True(result.GetProperty("witness").GetProperty("checked").GetBoolean());

        var cli = await host.RunCliAsync("verify");
        Assert.True(cli.ExitCode == 1, cli.Output + cli.Error);
        Assert.Contains($"Records 4 to {last} are missing", cli.Output);
    }

    [Fact]
    public async Task Changing_one_byte_of_one_record_is_named_as_altered()
    {
        var (host, records) = await TrailWithCaseAsync();
        await using var _ = host;
        var target = records[2];

        await TamperAsync(host, (c, t) => c.ExecuteAsync(
            "update audit_events set source = overlay(source placing upper(substr(source, 1, 1)) from 1 for 1) where global_seq = @target", new { target }, t));

        await AssertNamedAsync(host, target, Problems.Altered);
    }

    [Fact]
    public async Task Deleting_a_record_is_named_as_deleted()
    {
        var (host, records) = await TrailWithCaseAsync();
        await using var _ = host;
        var target = records[1];

        await TamperAsync(host, (c, t) => c.ExecuteAsync("delete from audit_events where global_seq = @target", new { target }, t));

        await AssertNamedAsync(host, target, Problems.Deleted);
    }

    [Fact]
    public async Task A_forged_record_with_a_correct_hash_slipped_between_two_records_is_named_as_inserted()
    {
        var (host, records) = await TrailWithCaseAsync();
        await using var _ = host;
        var target = records[2];

        await TamperAsync(host, async (c, t) =>
        {
            // A knowing forger: makes room, links to the real predecessor and computes a valid hash.
            var predecessor = await c.QuerySingleAsync<byte[]>("select hash from audit_events where global_seq = @seq", new { seq = target - 1 }, t);
            await c.ExecuteAsync("update audit_events set global_seq = -global_seq where global_seq >= @target", new { target }, t);
            await c.ExecuteAsync("update audit_events set global_seq = 1 - global_seq where global_seq < 0", transaction: t);
            var now = ChainHash.ToMicroseconds(DateTimeOffset.UtcNow);
            var forged = new AuditRecord(target, Guid.NewGuid(), null, null, "DirectoryPublished", "assignment", now, now,
                "{\"actor\":\"p-1001\",\"reason\":\"nothing to see\"}"u8.ToArray(), null, predecessor, null, []);
            forged = forged with { Hash = ChainHash.Compute(predecessor, forged) };
            await c.ExecuteAsync(
                """
                insert into audit_events (global_seq, event_id, case_id, case_seq, type, source, occurred_at, recorded_at, body, traceparent, prev_hash, case_prev_hash, hash)
                values (@GlobalSeq, @EventId, null, null, @Type, @Source, @OccurredAt, @RecordedAt, convert_from(@Body, 'UTF8')::jsonb, null, @PrevHash, null, @Hash)
                """, forged, t);
        });

        await AssertNamedAsync(host, target, Problems.Inserted);
    }

    [Fact]
    public async Task Swapping_two_records_is_named_as_reordered()
    {
        var (host, records) = await TrailWithCaseAsync();
        await using var _ = host;
        var (first, second) = (records[1], records[4]);

        await TamperAsync(host, async (c, t) =>
        {
            await c.ExecuteAsync("update audit_events set global_seq = -1 where global_seq = @first", new { first }, t);
            await c.ExecuteAsync("update audit_events set global_seq = @first where global_seq = @second", new { first, second }, t);
            await c.ExecuteAsync("update audit_events set global_seq = @second where global_seq = -1", new { second }, t);
        });

        await AssertNamedAsync(host, first, Problems.Reordered);
    }

    [Fact]
    public async Task Bodies_are_kept_as_the_text_that_was_hashed_and_a_trail_written_before_that_in_jsonb_layout_still_verifies()
    {
        var (host, records) = await TrailWithCaseAsync();
        await using var _ = host;
        await using (var connection = await host.OpenOwnerAsync())
        {
            var bodies = (await connection.QueryAsync<string>("select body::text from audit_events where global_seq = any(@records)", new { records })).ToList();
            Assert.Equal(records.Count, bodies.Count);
            Assert.All(bodies, body => Assert.Equal(CanonicalJson.Canonicalize(body), body));
        }

        // What migration 0006 leaves of a record written before it: the same JSON, in jsonb's key order and spacing.
        await TamperAsync(host, (c, t) => c.ExecuteAsync("update audit_events set body = body::jsonb::json", transaction: t));
        await using (var connection = await host.OpenOwnerAsync())
            Assert.Contains(": ", await connection.ExecuteScalarAsync<string>("select body::text from audit_events where global_seq = @first", new { first = records[0] }));

        var result = await host.GetJsonAsync("/api/audit/verify");
        Assert.True(result.GetProperty("valid").GetBoolean(), result.ToString());
        var cli = await host.RunCliAsync("verify");
        Assert.True(cli.ExitCode == 0, cli.Output + cli.Error);
    }

    [Fact]
    public async Task An_append_from_an_audit_older_than_hashed_text_bodies_is_refused_as_a_failure_to_retry_and_leaves_the_trail_untouched()
    {
        // What an audit from before migration 0006 does in a rolling upgrade: the chain lock alone, then a COPY in jsonb's binary form.
        var (host, records) = await TrailWithCaseAsync();
        await using var _ = host;
        var before = await host.CountAsync();
        await using var runtime = new NpgsqlConnection(AuditDatabase.RuntimeConnectionString(TestEnvironment.PostgresConnectionString, host.Schema));
        await runtime.OpenAsync();
        await using var transaction = await runtime.BeginTransactionAsync();
        await runtime.ExecuteAsync("select pg_advisory_xact_lock(1)", transaction: transaction);

        var refused = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var copy = await runtime.BeginBinaryImportAsync(
                "copy audit_events (global_seq, event_id, type, source, occurred_at, recorded_at, body, prev_hash, hash) from stdin (format binary)");
            await copy.StartRowAsync();
            await copy.WriteAsync(records[^1] + 1000, NpgsqlTypes.NpgsqlDbType.Bigint);
            await copy.WriteAsync(Guid.NewGuid(), NpgsqlTypes.NpgsqlDbType.Uuid);
            await copy.WriteAsync("DirectoryPublished", NpgsqlTypes.NpgsqlDbType.Text);
            await copy.WriteAsync("assignment", NpgsqlTypes.NpgsqlDbType.Text);
            await copy.WriteAsync(DateTimeOffset.UtcNow, NpgsqlTypes.NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(DateTimeOffset.UtcNow, NpgsqlTypes.NpgsqlDbType.TimestampTz);
            await copy.WriteAsync("{\"version\":1}"u8.ToArray(), NpgsqlTypes.NpgsqlDbType.Jsonb);
            await copy.WriteAsync(new byte[32], NpgsqlTypes.NpgsqlDbType.Bytea);
            await copy.WriteAsync(new byte[32], NpgsqlTypes.NpgsqlDbType.Bytea);
            await copy.CompleteAsync();
        });

        Assert.Equal(PostgresErrorCodes.SerializationFailure, refused.SqlState);
        Assert.Contains("predates migration 0006", refused.MessageText);
        Assert.True(Accountability.Messaging.Bus.TransientFailures.IsTransient(refused), "every audit holds such a message and retries it");
        Assert.Equal(before, await host.CountAsync());
        var verified = await host.GetJsonAsync("/api/audit/verify");
        Assert.True(verified.GetProperty("valid").GetBoolean(), verified.ToString());
    }

    [Fact]
    public async Task A_forged_checkpoint_signature_is_caught()
    {
        var (host, _) = await TrailWithCaseAsync();
        await using var _ = host;
        var checkpoint = await Eventually.ReturnsAsync(async () =>
        {
            await using var connection = await host.OpenOwnerAsync();
            return await connection.ExecuteScalarAsync<long?>("select min(global_seq) from audit_checkpoints");
        }, seq => seq is not null, "a checkpoint is signed");

        // Flip one bit inside the signature's r value (DER: 30 len 02 len r...).
        await TamperAsync(host, (c, t) => c.ExecuteAsync(
            "update audit_checkpoints set signature = set_byte(signature, 8, get_byte(signature, 8) # 1) where global_seq = @checkpoint", new { checkpoint }, t));

        await AssertNamedAsync(host, checkpoint!.Value, Problems.BadCheckpoint);
    }

    [Fact]
    public async Task Verify_on_an_empty_trail_says_so_and_succeeds()
    {
        await using var host = await AuditTrailHost.StartAsync(consume: false);

        var result = await host.GetJsonAsync("/api/audit/verify");

        Assert.True(result.GetProperty("valid").GetBoolean());
        Assert.Equal(0, result.GetProperty("checkedRecords").GetInt64());
        Assert.Contains("empty", result.GetProperty("message").GetString());
        var cli = await host.RunCliAsync("verify");
        Assert.True(cli.ExitCode == 0, cli.Output + cli.Error);
        Assert.Contains("empty", cli.Output);
    }

    [Fact]
    public async Task The_runtime_role_may_insert_and_select_the_trail_but_PostgreSQL_refuses_it_any_update_or_delete()
    {
        var (host, records) = await TrailWithCaseAsync();
        await using var _ = host;
        await using var runtime = new NpgsqlConnection(AuditDatabase.RuntimeConnectionString(TestEnvironment.PostgresConnectionString, host.Schema));
        await runtime.OpenAsync();

        Assert.Equal(AuditDatabase.WriterRole(host.Schema), await runtime.ExecuteScalarAsync<string>("select current_user"));
        Assert.True(await runtime.ExecuteScalarAsync<long>("select count(*) from audit_events") >= records.Count);
        var update = await Assert.ThrowsAsync<PostgresException>(() => runtime.ExecuteAsync("update audit_events set type = 'x' where global_seq = @seq", new { seq = records[0] }));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, update.SqlState);
        var delete = await Assert.ThrowsAsync<PostgresException>(() => runtime.ExecuteAsync("delete from audit_events where global_seq = @seq", new { seq = records[0] }));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, delete.SqlState);
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => runtime.ExecuteAsync("truncate audit_events"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, truncate.SqlState);
        var checkpoint = await Assert.ThrowsAsync<PostgresException>(() => runtime.ExecuteAsync("delete from audit_checkpoints"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, checkpoint.SqlState);
    }
}
