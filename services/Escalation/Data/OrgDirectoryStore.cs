using System.Text.Json;
using Accountability.Contracts.Directory;
using Accountability.Escalation.Features.Escalations;
using Dapper;
using Npgsql;

namespace Accountability.Escalation.Data;

/// <summary>Our copy of the org chart, one row per DirectoryPublished version; older versions arriving late change nothing.</summary>
public static class OrgDirectoryStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task StoreAsync(NpgsqlTransaction transaction, DirectoryPublished published, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into org_directory (version, body, published_at) values (@Version, @Body::jsonb, @PublishedAt)
            on conflict (version) do nothing
            """,
            new { published.Version, Body = JsonSerializer.Serialize(published.Directory, Json), PublishedAt = published.PublishedAt.ForDb() },
            transaction, cancellationToken: cancellationToken));

    /// <summary>The newest version we hold; null before the first DirectoryPublished arrived.</summary>
    public static async Task<ChainOfCommand?> LatestAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var body = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "select body::text from org_directory order by version desc limit 1", transaction: transaction, cancellationToken: cancellationToken));
        return body is null ? null : new ChainOfCommand(JsonSerializer.Deserialize<OrgDirectory>(body, Json)!);
    }
}
