using System.Text.Json;
using Accountability.Contracts.Directory;
using Accountability.Messaging.Outbox;
using Dapper;
using Npgsql;

namespace Accountability.Notification.Data;

/// <summary>
/// This service's own copy of the org chart, from DirectoryPublished: the people to notify, their
/// addresses and their chain of command. No other service's tables are read.
/// </summary>
public sealed class DirectoryCopy
{
    private readonly Lock gate = new();
    private (long Version, OrgDirectory Directory)? cached;

    /// <summary>Replaces the copy with a newer directory; an older or equal version changes nothing.</summary>
    public static async Task<bool> ReplaceIfNewerAsync(NpgsqlTransaction transaction, long version, OrgDirectory directory, CancellationToken cancellationToken)
    {
        var replaced = await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into directory_copy (singleton, version, body) values (true, @version, @body::jsonb)
            on conflict (singleton) do update set version = excluded.version, body = excluded.body, received_at = now()
            where directory_copy.version < excluded.version
            """, new { version, body = JsonSerializer.Serialize(directory, OutboxMessage.Json) }, transaction, cancellationToken: cancellationToken));
        return replaced > 0;
    }

    /// <summary>The directory in force, or null before the first DirectoryPublished arrived.</summary>
    public async Task<OrgChartView?> CurrentAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        await AtVersionAsync(connection, transaction, await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "select version from directory_copy", transaction: transaction, cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>
    /// The directory of <paramref name="version"/>, which the caller read from directory_copy in this transaction (a delivery's
    /// claim reads it along); null when there was none. Only a version not cached yet reads the body.
    /// </summary>
    public async Task<OrgChartView?> AtVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long? version, CancellationToken cancellationToken)
    {
        if (version is null)
            return null;
        lock (gate)
            if (cached is { } hit && hit.Version == version)
                return new OrgChartView(hit.Version, hit.Directory);

        var row = await connection.QuerySingleAsync<(long Version, string Body)>(new CommandDefinition(
            "select version, body::text from directory_copy", transaction: transaction, cancellationToken: cancellationToken));
        var directory = JsonSerializer.Deserialize<OrgDirectory>(row.Body, OutboxMessage.Json)
                        ?? throw new InvalidOperationException("The stored directory copy is empty.");
        lock (gate)
            cached = (row.Version, directory);
        return new OrgChartView(row.Version, directory);
    }
}
