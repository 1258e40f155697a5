using Accountability.Contracts.Directory;
using Dapper;
using Npgsql;

namespace Accountability.Intake.Data;

/// <summary>Intake's copy of the org chart: unit names and which unit each person belongs to, nothing more.</summary>
public static class DirectoryCopy
{
    /// <summary>Replaces the copy with a newer directory; an older or equal version changes nothing.</summary>
    public static async Task<bool> ReplaceIfNewerAsync(NpgsqlTransaction transaction, long version, OrgDirectory directory, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var newer = await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into directory_version (singleton, version) values (true, @version)
            on conflict (singleton) do update set version = excluded.version
            where directory_version.version < excluded.version
            """, new { version }, transaction, cancellationToken: cancellationToken));
        if (newer == 0)
            return false;

        await connection.ExecuteAsync(new CommandDefinition(
            "delete from directory_units; delete from directory_people;", transaction: transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into directory_units (unit_id, name) select * from unnest(@ids, @names) on conflict do nothing",
            new { ids = directory.Units.Select(u => u.Id).ToArray(), names = directory.Units.Select(u => u.Name).ToArray() },
            transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into directory_people (person_id, unit_id) select * from unnest(@ids, @units) on conflict do nothing",
            new { ids = directory.People.Select(p => p.Id).ToArray(), units = directory.People.Select(p => p.UnitId).ToArray() },
            transaction, cancellationToken: cancellationToken));
        return true;
    }
}
