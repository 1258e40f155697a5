namespace Accountability.Messaging.Bus;

/// <summary>Failures that come from the infrastructure being away, not from the message being handled.</summary>
public static class TransientFailures
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        Npgsql.NpgsqlException { IsTransient: true } => true,
        // Server starting up or shutting down, too many connections, serialization and deadlock retries.
        Npgsql.PostgresException postgres => postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "40001" or "40P01",
        System.Net.Sockets.SocketException => true,
        TimeoutException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}
