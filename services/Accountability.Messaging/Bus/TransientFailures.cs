namespace Accountability.Messaging.Bus;

/// <summary>Failures that come from the infrastructure being away, not from the message being handled.</summary>
public static class TransientFailures
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        Npgsql.NpgsqlException { IsTransient: true } => true,
        // Server starting up or shutting down, too many connections, serialization and deadlock retries; class 08
        // (the connection broke); and a session that landed on a node which is (still, or again) a read-only standby.
        Npgsql.PostgresException postgres => postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "40001" or "40P01" or "25006"
            || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        // With a multi-host connection string (Target Session Attributes=read-write), while the primary is lost and
        // its standby not yet promoted, every host is either down (seen before, so skipped) or read-only: Npgsql then
        // says so without marking it transient. It is the failover itself.
        Npgsql.NpgsqlException npgsql when IsNoSuitableHost(npgsql) => true,
        // The process is ending: its host has disposed the services while the bus still hands out a message (the bus's
        // stop outlasted the host's on a saturated machine; `make chaos CLUSTER=1` sent 12 complaints to `_error` so).
        // Not the message's fault: held by the outage retry, it stays unacknowledged, dies with the process, and the
        // broker gives it to another instance.
        ObjectDisposedException { ObjectName: "IServiceProvider" } => true,
        System.Net.Sockets.SocketException => true,
        TimeoutException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };

    private static bool IsNoSuitableHost(Npgsql.NpgsqlException exception) =>
        exception is not Npgsql.PostgresException
        && (exception.Message.StartsWith("No suitable host", StringComparison.Ordinal)
            || exception.Message.StartsWith("Unable to connect to a suitable host", StringComparison.Ordinal));
}
