using System.Text.Json;
using Accountability.Assignment.Features.Directory;
using Accountability.Contracts.Directory;
using Accountability.Messaging.Database;
using Accountability.Messaging.Identity;
using Accountability.Messaging.Outbox;
using Dapper;
using Npgsql;

namespace Accountability.Assignment.Data;

/// <summary>Every version of the org directory, and the DirectoryPublished that announces each one.</summary>
public sealed class DirectoryStore(ServiceDatabase database, DirectoryCache cache, TimeProvider time)
{
    public async Task<(long Version, OrgDirectory Directory)?> LatestAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long Version, string Body)?>(new CommandDefinition(
            "select version, body::text from directory_versions order by version desc limit 1", cancellationToken: cancellationToken));
        return row is { } r ? (r.Version, JsonSerializer.Deserialize<OrgDirectory>(r.Body, DirectoryLoader.SerializerOptions)!) : null;
    }

    /// <summary>Stores a validated directory as the next version and announces it, in one transaction.</summary>
    public async Task<long> PublishAsync(OrgDirectory directory, string actor, string reason, CancellationToken cancellationToken)
    {
        var chart = OrgChart.From(directory); // validates; throws InvalidDirectoryException
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One publisher at a time, so versions stay gapless.
        await connection.ExecuteAsync(new CommandDefinition("lock table directory_versions in exclusive mode", transaction: transaction, cancellationToken: cancellationToken));
        var version = 1 + await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select coalesce(max(version), 0) from directory_versions", transaction: transaction, cancellationToken: cancellationToken));
        var publishedAt = time.GetUtcNow();
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into directory_versions (version, body, published_at, actor, reason) values (@version, @body::jsonb, @publishedAt, @actor, @reason)",
            new { version, body = JsonSerializer.Serialize(directory, DirectoryLoader.SerializerOptions), publishedAt, actor, reason },
            transaction, cancellationToken: cancellationToken));
        await OutboxWriter.EnqueueAsync(transaction, new DirectoryPublished
        {
            Version = version, Directory = directory, PublishedAt = publishedAt, Actor = actor, Reason = reason,
        }, cancellationToken);
        // Who may call this service comes from this version at once, not from our own DirectoryPublished:
        // on a fresh broker the seed's announcement can be relayed before our queue is bound, and is then
        // lost, leaving the service trusting token roles until the directory next changes.
        await PeopleInForce.StoreIfNewerAsync(transaction, version, directory, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        cache.Use(version, chart);
        return version;
    }

    /// <summary>
    /// Announces the version in force again. Services that keep a copy of the directory ignore a version
    /// they already have, so this only helps one that started (or lost its copy) after the original announcement.
    /// </summary>
    public async Task RepublishLatestAsync(string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long Version, string Body, DateTime PublishedAt, string Actor)?>(new CommandDefinition(
            "select version, body::text, published_at, actor from directory_versions order by version desc limit 1",
            transaction: transaction, cancellationToken: cancellationToken));
        if (row is not { } latest)
            return;
        await OutboxWriter.EnqueueAsync(transaction, new DirectoryPublished
        {
            Version = latest.Version,
            Directory = JsonSerializer.Deserialize<OrgDirectory>(latest.Body, DirectoryLoader.SerializerOptions)!,
            PublishedAt = new DateTimeOffset(DateTime.SpecifyKind(latest.PublishedAt, DateTimeKind.Utc)),
            Actor = latest.Actor,
            Reason = reason,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (await LatestAsync(cancellationToken) is { } latest)
            cache.Use(latest.Version, OrgChart.From(latest.Directory, $"directory version {latest.Version}"));
    }
}
