using Accountability.Messaging.Database;
using Accountability.Messaging.Migrations;
using Accountability.TestSupport;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Accountability.Messaging.Tests;

public sealed class MigrationTests
{
    // Deliberately not idempotent: applying it twice would fail on the duplicate table.
    private static readonly Migration[] Migrations =
    [
        new("test/0001_create.sql", "create table ledger (id int primary key);"),
        new("test/0002_seed.sql", "insert into ledger (id) values (1);"),
    ];

    [Fact]
    public async Task Migrations_started_twice_at_once_are_applied_once()
    {
        var schema = TestDatabase.NewSchema("mig");
        await using var first = new ServiceDatabase(TestEnvironment.PostgresConnectionString, schema);
        await using var second = new ServiceDatabase(TestEnvironment.PostgresConnectionString, schema);
        try
        {
            var runs = await Task.WhenAll(
                Task.Run(() => new MigrationRunner(first, [], NullLogger<MigrationRunner>.Instance).ApplyAsync(Migrations, CancellationToken.None)),
                Task.Run(() => new MigrationRunner(second, [], NullLogger<MigrationRunner>.Instance).ApplyAsync(Migrations, CancellationToken.None)));

            Assert.Equal(2, runs.Sum(applied => applied.Count));
            Assert.Contains(runs, applied => applied.Count == 2);
            await using var connection = await first.OpenConnectionAsync();
            Assert.Equal(2, await connection.ExecuteScalarAsync<long>("select count(*) from schema_migrations"));
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>("select count(*) from ledger"));
        }
        finally
        {
            await using var connection = await TestDatabase.OpenAsync();
            await connection.ExecuteAsync($"drop schema if exists \"{schema}\" cascade");
        }
    }

    [Fact]
    public async Task A_failing_migration_is_rolled_back_and_not_recorded()
    {
        var schema = TestDatabase.NewSchema("mig");
        await using var database = new ServiceDatabase(TestEnvironment.PostgresConnectionString, schema);
        var runner = new MigrationRunner(database, [], NullLogger<MigrationRunner>.Instance);
        try
        {
            Migration[] broken = [Migrations[0], new("test/0002_broken.sql", "insert into ledger (id) values (1); select * from missing_table;")];
            await Assert.ThrowsAsync<Npgsql.PostgresException>(() => runner.ApplyAsync(broken, CancellationToken.None));

            await using var connection = await database.OpenConnectionAsync();
            Assert.Equal(["test/0001_create.sql"], await connection.QueryAsync<string>("select id from schema_migrations"));
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from ledger"));
            // Fixed and re-run: it picks up where it stopped.
            Assert.Equal(["test/0002_seed.sql"], await runner.ApplyAsync(Migrations, CancellationToken.None));
        }
        finally
        {
            await using var connection = await TestDatabase.OpenAsync();
            await connection.ExecuteAsync($"drop schema if exists \"{schema}\" cascade");
        }
    }
}
