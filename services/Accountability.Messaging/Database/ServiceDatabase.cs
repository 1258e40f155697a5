using System.Text.RegularExpressions;
using Npgsql;

namespace Accountability.Messaging.Database;

/// <summary>
/// The one PostgreSQL data source of a service, bound to the service's own schema through
/// search_path, so that queries never reach another service's tables by accident.
/// </summary>
public sealed partial class ServiceDatabase : IAsyncDisposable
{
    public ServiceDatabase(string connectionString, string schema)
    {
        if (!SchemaName().IsMatch(schema))
            throw new ArgumentException($"Schema name '{schema}' must be a lower-case SQL identifier.", nameof(schema));

        Schema = schema;
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.SearchPath = $"{schema},public";
        builder.ConnectionStringBuilder.ApplicationName ??= $"accountability-{schema}";
        DataSource = builder.Build();
    }

    public string Schema { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The channel that the outbox trigger notifies for this schema.</summary>
    public string OutboxChannel => $"{Schema}_outbox";

    public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
        DataSource.OpenConnectionAsync(cancellationToken);

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
