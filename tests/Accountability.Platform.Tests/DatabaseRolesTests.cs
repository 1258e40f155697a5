using Accountability.TestSupport;
using Npgsql;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>
/// Least privilege in the database (issue 17): each running service logs in as its own user, which holds
/// the rows of its own schema and nothing else. These log in as those users, the way the services of
/// <see cref="FiveServices"/> do, and try what a compromised service would.
/// </summary>
[Collection(nameof(FiveServices))]
public sealed class DatabaseRolesTests(FiveServices services)
{
    private static readonly string[] TrailTables = ["audit_events", "audit_checkpoints", "audit_signing_keys"];

    [Fact]
    public async Task No_service_login_can_update_delete_or_truncate_the_trail_even_after_reset_role()
    {
        var recorded = await Eventually.ReturnsAsync(() => CountAsync("audit.audit_events"), n => n > 0, "the trail has records");
        var newest = await CountAsync("audit.audit_events", "max(global_seq)");

        foreach (var service in FiveServices.Names)
        {
            await using var connection = await OpenAsAsync(service);
            foreach (var becoming in new[] { "reset role", "set role audit_writer" })
            {
                if (becoming.StartsWith("set role", StringComparison.Ordinal) && service != "Audit")
                    continue;
                foreach (var table in TrailTables)
                {
                    foreach (var change in new[] { $"update audit.{table} set {FirstColumn(table)} = {FirstColumn(table)}", $"delete from audit.{table}", $"truncate audit.{table}" })
                        await AssertRefusedAsync(connection, $"{becoming}; {change}", $"{service} after '{becoming}': {change}");
                }
            }
        }

        Assert.Equal(recorded, await CountAsync("audit.audit_events", "count(*)", $"global_seq <= {newest}"));
    }

    [Fact]
    public async Task The_audit_login_cannot_become_the_owner_and_the_witness_cannot_be_rewritten_by_notification()
    {
        await using var audit = await OpenAsAsync("Audit");
        await AssertRefusedAsync(audit, "set role accountability", "audit becoming the owner");

        await using var notification = await OpenAsAsync("Notification");
        await AssertRefusedAsync(notification, "delete from notification.trail_witness", "notification removing a witnessed head");
        await AssertRefusedAsync(notification, "update notification.trail_witness set hash = hash", "notification changing a witnessed head");
    }

    [Fact]
    public async Task A_service_login_reads_only_its_own_schema_and_cannot_change_its_shape()
    {
        foreach (var service in FiveServices.Names)
        {
            var own = service.ToLowerInvariant();
            await using var connection = await OpenAsAsync(service);
            await using (var allowed = new NpgsqlCommand($"select count(*) from {own}.outbox", connection))
                await allowed.ExecuteScalarAsync();

            foreach (var other in FiveServices.Names.Where(s => s != service).Select(s => s.ToLowerInvariant()))
                await AssertRefusedAsync(connection, $"select count(*) from {other}.outbox", $"{service} reading {other}'s outbox");
            await AssertRefusedAsync(connection, $"create table {own}.planted (id int)", $"{service} creating a table");
            await AssertRefusedAsync(connection, $"drop table {own}.outbox", $"{service} dropping its outbox");
            await AssertRefusedAsync(connection, $"truncate {own}.inbox", $"{service} truncating its inbox");
        }
    }

    private async Task<NpgsqlConnection> OpenAsAsync(string service)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ServiceLogins.ConnectionStringFor(services.OwnerConnectionString, service)) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task AssertRefusedAsync(NpgsqlConnection connection, string sql, string attempt)
    {
        var refused = await Record.ExceptionAsync(async () =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        });
        var denial = Assert.IsType<PostgresException>(refused);
        Assert.True(denial.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{attempt}: expected permission denied, got {denial.SqlState} {denial.MessageText}");
    }

    private async Task<long> CountAsync(string table, string aggregate = "count(*)", string where = "true")
    {
        await using var connection = new NpgsqlConnection(services.OwnerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select {aggregate} from {table} where {where}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string FirstColumn(string table) => table switch
    {
        "audit_events" or "audit_checkpoints" => "hash",
        _ => "key_id",
    };
}
