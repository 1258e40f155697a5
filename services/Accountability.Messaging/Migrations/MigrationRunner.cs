using Accountability.Messaging.Database;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Accountability.Messaging.Migrations;

/// <summary>
/// Applies numbered SQL files once each, recorded in the schema's schema_migrations table.
/// One advisory lock for the whole database serialises every runner of every service, so two
/// instances starting together apply each file once, and shared objects such as extensions
/// are never created twice in a race.
/// </summary>
public sealed class MigrationRunner(ServiceDatabase database, ILogger<MigrationRunner> logger)
{
    // An arbitrary constant; it only has to be the same for every runner.
    private const long AdvisoryLockKey = 0x4163_636F_756E_7401;

    public async Task<IReadOnlyList<string>> ApplyAsync(IEnumerable<Migration> migrations, CancellationToken cancellationToken)
    {
        var schema = database.Schema;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@AdvisoryLockKey)", new { AdvisoryLockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"""
                create schema if not exists "{schema}";
                create table if not exists "{schema}".schema_migrations (
                    id text primary key,
                    applied_at timestamptz not null default now());
                """, cancellationToken: cancellationToken));

            var applied = (await connection.QueryAsync<string>(new CommandDefinition(
                $"""select id from "{schema}".schema_migrations""", cancellationToken: cancellationToken))).ToHashSet();

            var appliedNow = new List<string>();
            foreach (var migration in migrations)
            {
                if (applied.Contains(migration.Id))
                    continue;

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition($"""set local search_path to "{schema}", public""", transaction: transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    $"""insert into "{schema}".schema_migrations (id) values (@Id)""", new { migration.Id }, transaction, cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);

                logger.LogInformation("Applied migration {MigrationId} to schema {Schema}", migration.Id, schema);
                appliedNow.Add(migration.Id);
            }
            return appliedNow;
        }
        finally
        {
            // The lock is session-scoped; release it explicitly because pooled connections outlive us.
            await connection.ExecuteAsync("select pg_advisory_unlock(@AdvisoryLockKey)", new { AdvisoryLockKey });
        }
    }
}
