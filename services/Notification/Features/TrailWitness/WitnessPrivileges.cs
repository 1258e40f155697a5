using Accountability.Messaging.Migrations;

namespace Accountability.Notification.Features.TrailWitness;

/// <summary>The witnessed heads are only ever added: notification's login cannot rewrite or remove one.</summary>
public static class WitnessPrivileges
{
    public static readonly RuntimePrivileges Narrowing = new($"""
        do $$
        begin
            execute format('revoke update, delete, truncate on trail_witness from %I', current_setting('{RuntimePrivileges.LoginSetting}'));
        end
        $$;
        """);
}
