using System.Collections.Concurrent;
using System.Reflection;
using Npgsql;

namespace Accountability.Messaging.Database;

/// <summary>
/// Statements for an <see cref="NpgsqlBatch"/>, which Npgsql sends in one round trip: with no transaction open, PostgreSQL
/// runs the whole batch as one implicit transaction, so either every statement's change is committed or none is, and no
/// COMMIT of its own is needed. At a trickle each round trip wakes a sleeping server process and a sleeping client thread,
/// which costs more CPU than most of these statements do (docs/bench.md, twenty-fourth round).
/// </summary>
public static class BatchStatements
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> PropertiesOf = new();

    /// <summary>A statement whose <c>@name</c> parameters are the properties of <paramref name="parameters"/>, as Dapper binds them; null is SQL NULL.</summary>
    public static NpgsqlBatchCommand Of(string sql, object parameters)
    {
        var statement = new NpgsqlBatchCommand(sql);
        foreach (var property in PropertiesOf.GetOrAdd(parameters.GetType(), type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)))
            statement.Parameters.Add(new NpgsqlParameter(property.Name, property.GetValue(parameters) ?? DBNull.Value));
        return statement;
    }
}
