using System.Diagnostics;
using Npgsql;

namespace Accountability.ServiceDefaults.Telemetry;

public static class DatabaseTracing
{
    /// <summary>
    /// A span per command only inside work that is itself recorded (a request, a consumed message, a
    /// timer), never for the relay's polls, LISTEN or a probe's query, which would each start a trace
    /// of their own; no span for the pool's physical opens, which start root traces the same way; and
    /// no first-response event, which costs an event per command for little.
    /// </summary>
    public static NpgsqlDataSourceBuilder TraceOnlyWithinRecordedWork(this NpgsqlDataSourceBuilder builder) =>
        builder.ConfigureTracing(tracing => tracing
            .EnableFirstResponseEvent(false)
            .EnablePhysicalOpenTracing(false)
            .ConfigureCommandFilter(_ => Activity.Current is { Recorded: true })
            .ConfigureBatchFilter(_ => Activity.Current is { Recorded: true }));
}
