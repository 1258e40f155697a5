using Accountability.ServiceDefaults.Telemetry;
using Npgsql;

namespace Accountability.Audit.Data;

/// <summary>
/// The connection the audit service works through at run time. It logs in as the service's user
/// but immediately becomes &lt;schema&gt;_writer, a NOLOGIN role that may only INSERT and SELECT on
/// audit_events, so not even a bug in this service can rewrite the trail. Migrations (run as the
/// owner through the messaging ServiceDatabase) create the role and its grants.
/// </summary>
public sealed class AuditDatabase : IAsyncDisposable
{
    public AuditDatabase(string connectionString, string schema)
    {
        Schema = schema;
        DataSource = new NpgsqlDataSourceBuilder(RuntimeConnectionString(connectionString, schema)).TraceOnlyWithinRecordedWork().Build();
    }

    public string Schema { get; }

    public NpgsqlDataSource DataSource { get; }

    public static string WriterRole(string schema) => $"{schema}_writer";

    /// <summary>The owner's connection string, bound to the schema and switched to the writer role at login.</summary>
    public static string RuntimeConnectionString(string connectionString, string schema)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            SearchPath = $"{schema},public",
        };
        builder.Options = $"{builder.Options} -c role={WriterRole(schema)}".Trim();
        builder.ApplicationName ??= $"accountability-{schema}";
        return Messaging.Database.RuntimeConnectionDefaults.Apply(builder).ConnectionString;
    }

    /// <summary>A connection string for reading the trail in <paramref name="schema"/> as whoever logs in (the CLI).</summary>
    public static string ReaderConnectionString(string connectionString, string schema) =>
        new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = $"{schema},public" }.ConnectionString;

    public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
        DataSource.OpenConnectionAsync(cancellationToken);

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
