using Npgsql;

namespace Accountability.TestSupport;

/// <summary>
/// The per-service database logins of deploy/postgres/service-logins.sql: the services of a test log in
/// as these, the way `make up` runs them, while the owner login runs their migrations.
/// </summary>
public static class ServiceLogins
{
    /// <summary>The schema, and so the login, of each service that has a database.</summary>
    public static string LoginOf(string service) => $"accountability_{service.ToLowerInvariant()}";

    /// <summary>Creates the logins on the server if infra.sh has not (safe when assemblies race to do it).</summary>
    public static async Task EnsureAsync(string serverConnectionString)
    {
        var sql = await File.ReadAllTextAsync(RepositoryPaths.File("deploy", "postgres", "service-logins.sql"));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false }.ConnectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException e) when (attempt < 3 && e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
            {
                // Another assembly created the same role between our check and our CREATE: look again.
            }
        }
    }

    /// <summary>The owner's connection string, logging in as <paramref name="service"/>'s own user instead.</summary>
    public static string ConnectionStringFor(string ownerConnectionString, string service) =>
        new NpgsqlConnectionStringBuilder(ownerConnectionString) { Username = LoginOf(service), Password = "accountability" }.ConnectionString;
}
