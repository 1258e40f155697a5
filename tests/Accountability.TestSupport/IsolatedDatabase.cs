using Npgsql;

namespace Accountability.TestSupport;

/// <summary>
/// A PostgreSQL database of a test's own, for a whole set of services. Intake's and assignment's schemas
/// have fixed names, so instances started by assemblies that run at the same time would otherwise
/// share their tables (and their outbox) like instances of one deployment.
/// </summary>
public static class IsolatedDatabase
{
    /// <summary>Creates the database on the server <paramref name="serverConnectionString"/> names and returns a connection string to it.</summary>
    public static async Task<string> CreateAsync(string serverConnectionString, string name)
    {
        await ExecuteAsync(serverConnectionString, $"create database \"{name}\"");
        return new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// Drops it, closing whatever sessions still use it. A service that was just stopped can leave sessions behind for a
    /// moment, under its own login, which the owner may not terminate (42501): those end by themselves, so it tries again.
    /// </summary>
    public static Task DropAsync(string serverConnectionString, string name) =>
        Eventually.HoldsAsync(async () =>
        {
            try
            {
                await ExecuteAsync(serverConnectionString, $"drop database if exists \"{name}\" with (force)");
                return true;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                return false;
            }
        }, $"database {name} dropped once the sessions of the services that used it have ended", TimeSpan.FromSeconds(15));

    /// <summary>A name PostgreSQL accepts (at most 63 bytes, lower case) and no other run uses.</summary>
    public static string NewName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 63)];

    private static async Task ExecuteAsync(string serverConnectionString, string sql)
    {
        var builder = new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
