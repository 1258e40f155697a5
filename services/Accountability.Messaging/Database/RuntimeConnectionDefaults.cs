using Npgsql;

namespace Accountability.Messaging.Database;

/// <summary>
/// What a service's run-time connections default to when the connection string does not say.
/// Every statement a service runs is one of a few dozen fixed texts, so PostgreSQL parses and plans
/// each once per connection instead of on every call (measured by make bench: parse and plan were
/// most of PostgreSQL's CPU per complaint). Migrations run on the owner's connection, without it.
/// <para>
/// No Reset On Close, too: a pooled connection is otherwise reset before its next use with seven statements
/// (RESET ALL, CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all() and the rest), about two per transaction in
/// make bench. Run-time work leaves no session state to reset: settings and roles are SET LOCAL, advisory
/// locks are transaction locks, and the relay holds its LISTEN connection for the life of the process (should one
/// return to the pool still listening, Npgsql drops a notification that no handler wants). The owner's
/// connection (migrations, with a session advisory lock) keeps the reset.
/// </para>
/// </summary>
public static class RuntimeConnectionDefaults
{
    public const int MaxAutoPrepare = 128;

    public static NpgsqlConnectionStringBuilder Apply(NpgsqlConnectionStringBuilder builder)
    {
        if (builder.MaxAutoPrepare == 0 && !Mentions(builder, "Max Auto Prepare"))
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
            builder.AutoPrepareMinUsages = 2;
        }
        if (!Mentions(builder, "No Reset On Close"))
            builder.NoResetOnClose = true;
        return builder;
    }

    private static bool Mentions(NpgsqlConnectionStringBuilder builder, string key) =>
        builder.ConnectionString.Contains(key, StringComparison.OrdinalIgnoreCase)
        || builder.ConnectionString.Contains(key.Replace(" ", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
}
