namespace Accountability.Messaging.Migrations;

/// <summary>
/// What a service's run-time login may do in its own schema. The owner grants it again after every
/// migration run, so new tables are covered and a changed login is picked up. By default the login may
/// read and write rows (never create, alter, drop or truncate); a service narrows it further with
/// <paramref name="NarrowingSql"/>, run in the same transaction with the login's name in the setting
/// <c>accountability.runtime_login</c> (audit removes UPDATE and DELETE on its trail this way).
/// </summary>
public sealed record RuntimePrivileges(string NarrowingSql)
{
    public const string LoginSetting = "accountability.runtime_login";

    /// <summary>Rows in every table and sequence of the schema, nothing else.</summary>
    public const string DefaultSql = $"""
        do $$
        declare
            login text := current_setting('{LoginSetting}');
            schema text := current_schema();
        begin
            execute format('grant usage on schema %I to %I', schema, login);
            execute format('grant select, insert, update, delete on all tables in schema %I to %I', schema, login);
            execute format('grant usage, select, update on all sequences in schema %I to %I', schema, login);
        end
        $$;
        """;
}
