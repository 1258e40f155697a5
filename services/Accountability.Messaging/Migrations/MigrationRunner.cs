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
public sealed class MigrationRunner(ServiceDatabase database, IEnumerable<RuntimePrivileges> narrowings, ILogger<MigrationRunner> logger)
{
    // An arbitrary constant; it only has to be the same for every runner.
    private const long AdvisoryLockKey = 0x4163_636F_756E_7401;

    public async Task<IReadOnlyList<string>> ApplyAsync(IEnumerable<Migration> migrations, CancellationToken cancellationToken)
    {
        var schema = database.Schema;
        await using var connection = await database.OpenOwnerConnectionAsync(cancellationToken);
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
            await GrantRuntimePrivilegesAsync(connection, schema, cancellationToken);
            return appliedNow;
        }
        finally
        {
            // The lock is session-scoped; release it explicitly because pooled connections outlive us.
            await connection.ExecuteAsync("select pg_advisory_unlock(@AdvisoryLockKey)", new { AdvisoryLockKey });
        }
    }

    /// <summary>Gives the run-time login its rows and nothing more, when it is not the owner itself.</summary>
    private async Task GrantRuntimePrivilegesAsync(Npgsql.NpgsqlConnection connection, string schema, CancellationToken cancellationToken)
    {
        if (!database.HasSeparateOwner || string.IsNullOrEmpty(database.RuntimeLogin))
        {
            logger.LogWarning(
                "Schema {Schema}: the service runs as the login that owns it. Set ConnectionStrings:AccountabilityOwner " +
                "to a separate owner login for least privilege (docs/security.md).", schema);
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"""set local search_path to "{schema}", public""", transaction: transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "select set_config(@Setting, @Login, true)",
            new { Setting = RuntimePrivileges.LoginSetting, Login = database.RuntimeLogin }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(RuntimePrivileges.DefaultSql, transaction: transaction, cancellationToken: cancellationToken));
        foreach (var narrowing in narrowings)
            await connection.ExecuteAsync(new CommandDefinition(narrowing.NarrowingSql, transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Schema {Schema}: run-time login {Login} granted its privileges", schema, database.RuntimeLogin);
    }
}
