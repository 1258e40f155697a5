using System.Text.RegularExpressions;
using Accountability.ServiceDefaults.Telemetry;
using Npgsql;

namespace Accountability.Messaging.Database;

/// <summary>
/// The one PostgreSQL data source of a service, bound to the service's own schema through
/// search_path, so that queries never reach another service's tables by accident.
/// </summary>
/// <remarks>
/// Two logins can be configured. The run-time one (<c>ConnectionStrings:Accountability</c>) is what every
/// query uses. The owner (<c>ConnectionStrings:AccountabilityOwner</c>) owns the schema and runs the
/// migrations, then grants the run-time login only what the service needs (<see cref="Migrations.RuntimePrivileges"/>).
/// Without an owner, the run-time login does both: fine for a laptop, not least privilege.
/// </remarks>
public sealed partial class ServiceDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource? ownerDataSource;

    /// <param name="relayInProcess">
    /// This process runs the schema's outbox relay (Messaging:RelayEnabled): its sessions log in asking the outbox trigger for a
    /// NOTICE rather than a NOTIFY, and each connection that wrote outbox rows wakes the relay when it is closed
    /// (<see cref="OutboxWriteWatch"/>, migration 0003). Without a relay here, another process's relay must hear of the rows,
    /// so the trigger notifies as before.
    /// </param>
    public ServiceDatabase(string connectionString, string schema, string? ownerConnectionString = null, bool relayInProcess = false)
    {
        if (!SchemaName().IsMatch(schema))
            throw new ArgumentException($"Schema name '{schema}' must be a lower-case SQL identifier.", nameof(schema));

        Schema = schema;
        RelayInProcess = relayInProcess;
        wakeRelay = WakeRelay; // one delegate for every connection's watch
        DataSource = Build(connectionString, schema, runtime: true, relayInProcess);
        RuntimeLogin = new NpgsqlConnectionStringBuilder(connectionString).Username;
        if (!string.IsNullOrWhiteSpace(ownerConnectionString))
        {
            var ownerLogin = new NpgsqlConnectionStringBuilder(ownerConnectionString).Username;
            if (!string.Equals(ownerLogin, RuntimeLogin, StringComparison.Ordinal))
            {
                ownerDataSource = Build(ownerConnectionString, schema, runtime: false, relayInProcess: false);
                HasSeparateOwner = true;
            }
        }
    }

    public string Schema { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The login the service runs as; the migrations grant it its privileges.</summary>
    public string? RuntimeLogin { get; }

    /// <summary>True when migrations run as an owner login other than the run-time one.</summary>
    public bool HasSeparateOwner { get; }

    /// <summary>The channel that the outbox trigger notifies for this schema.</summary>
    public string OutboxChannel => $"{Schema}_outbox";

    /// <summary>Connections wake this process's relay themselves when they wrote outbox rows (see the constructor).</summary>
    public bool RelayInProcess { get; }

    /// <summary>
    /// Raised when a connection that wrote outbox rows was closed, after its commit (only when <see cref="RelayInProcess"/>). While
    /// nothing handles it (the relay has stopped, or not started), such a close sends a NOTIFY for the other instances' relays.
    /// </summary>
    public event Action? OutboxWritten;

    public async ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        if (RelayInProcess)
            OutboxWriteWatch.Attach(connection, wakeRelay);
        return connection;
    }

    private readonly Action wakeRelay;

    private void WakeRelay()
    {
        if (OutboxWritten is { } wake)
        {
            wake();
            return;
        }
        // This process's relay is not running: it has stopped (a consumer may still commit while the process shuts down)
        // or not started yet. The other instances' relays must hear of the rows now, not at their next poll.
        _ = NotifyOtherRelaysAsync();
    }

    private async Task NotifyOtherRelaysAsync()
    {
        try
        {
            await using var connection = await DataSource.OpenConnectionAsync();
            await using var notify = new NpgsqlCommand("select pg_notify(@channel, '')", connection) { CommandTimeout = 5 };
            notify.Parameters.AddWithValue("channel", OutboxChannel);
            await notify.ExecuteNonQueryAsync();
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException or ObjectDisposedException)
        {
            // The database is away or the process is ending: the other relays' polls find the rows.
        }
    }

    /// <summary>A connection as the schema's owner, for migrations and grants only.</summary>
    public ValueTask<NpgsqlConnection> OpenOwnerConnectionAsync(CancellationToken cancellationToken = default) =>
        (ownerDataSource ?? DataSource).OpenConnectionAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (ownerDataSource is not null)
            await ownerDataSource.DisposeAsync();
    }

    private static NpgsqlDataSource Build(string connectionString, string schema, bool runtime, bool relayInProcess)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (runtime)
            RuntimeConnectionDefaults.Apply(builder.ConnectionStringBuilder);
        // Set at login, so it costs no statement; client_min_messages too, so a server configured to hold notices back
        // cannot leave the relay to its slow poll.
        if (relayInProcess)
            builder.ConnectionStringBuilder.Options =
                $"{builder.ConnectionStringBuilder.Options} -c accountability.outbox_wake=notice -c client_min_messages=notice".Trim();
        builder.ConnectionStringBuilder.SearchPath = $"{schema},public";
        builder.ConnectionStringBuilder.ApplicationName ??= $"accountability-{schema}";
        return builder.TraceOnlyWithinRecordedWork().Build();
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
