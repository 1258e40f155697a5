using Accountability.Messaging.Migrations;

namespace Accountability.Audit.Data;

/// <summary>
/// The audit service's login may add to the trail and read it, never change or remove a record:
/// not through its writer role, and not as itself after <c>RESET ROLE</c>. Only the projections,
/// which are rebuilt from the trail, may be emptied.
/// </summary>
public static class TrailPrivileges
{
    public static readonly RuntimePrivileges Narrowing = new($"""
        do $$
        declare
            login text := current_setting('{RuntimePrivileges.LoginSetting}');
        begin
            execute format('revoke update, delete, truncate on audit_events, audit_checkpoints, audit_signing_keys from %I', login);
            execute format('grant truncate on audit_case_state, audit_custody to %I', login);
            execute format('grant %I to %I', current_schema() || '_writer', login);
        end
        $$;
        """);
}
