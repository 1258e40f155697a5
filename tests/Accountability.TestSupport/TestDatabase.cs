using Npgsql;

namespace Accountability.TestSupport;

public static class TestDatabase
{
    /// <summary>A fresh schema name per test, so tests never see each other's rows.</summary>
    public static string NewSchema(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];

    public static async Task<NpgsqlConnection> OpenAsync(string? schema = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString);
        if (schema is not null)
            builder.SearchPath = $"{schema},public";
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
