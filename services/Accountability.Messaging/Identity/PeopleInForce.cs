using System.Collections.Frozen;
using Accountability.Contracts.Directory;
using Accountability.Messaging.Database;
using Accountability.ServiceDefaults.Security;
using Dapper;
using Npgsql;

namespace Accountability.Messaging.Identity;

/// <summary>
/// The people of the directory in force, in memory for every request and in the service's own schema for
/// restarts. Fed by <see cref="PeopleInForceConsumer"/> from DirectoryPublished; never older than what it holds.
/// </summary>
public sealed class PeopleInForce(ServiceDatabase database) : IPeopleInForce
{
    private volatile Snapshot? current;

    public bool IsLoaded => current is not null;

    public PersonInForce? Find(string personId) =>
        current is { } snapshot && snapshot.People.TryGetValue(personId, out var person) ? person : null;

    /// <summary>Stores a newer version in the caller's transaction; an older or equal one changes nothing.</summary>
    public static async Task<bool> StoreIfNewerAsync(NpgsqlTransaction transaction, long version, OrgDirectory directory, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var newer = await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into people_in_force_version (singleton, version) values (true, @version)
            on conflict (singleton) do update set version = excluded.version where people_in_force_version.version < excluded.version
            """, new { version }, transaction, cancellationToken: cancellationToken));
        if (newer == 0)
            return false;
        await connection.ExecuteAsync(new CommandDefinition("delete from people_in_force", transaction: transaction, cancellationToken: cancellationToken));
        foreach (var person in directory.People)
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into people_in_force (person_id, active, roles) values (@Id, @Active, @Roles)",
                new { person.Id, person.Active, Roles = person.Roles.ToArray() }, transaction, cancellationToken: cancellationToken));
        return true;
    }

    /// <summary>Reads the stored version into memory (at start, and after each stored change).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var version = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "select version from people_in_force_version", cancellationToken: cancellationToken));
        if (version is null || (current is { } existing && existing.Version >= version))
            return;
        var people = await connection.QueryAsync<(string PersonId, bool Active, string[] Roles)>(new CommandDefinition(
            "select person_id, active, roles from people_in_force", cancellationToken: cancellationToken));
        current = new Snapshot(version.Value, people.ToFrozenDictionary(
            p => p.PersonId, p => new PersonInForce(p.PersonId, p.Active, p.Roles), StringComparer.Ordinal));
    }

    private sealed record Snapshot(long Version, FrozenDictionary<string, PersonInForce> People);
}
