using System.Reflection;

namespace Accountability.Messaging.Migrations;

/// <summary>One numbered SQL file. The id is what schema_migrations records.</summary>
public sealed record Migration(string Id, string Sql)
{
    /// <summary>
    /// Reads the embedded <c>Migrations/*.sql</c> files of an assembly, ordered by file name.
    /// The id is prefixed, so the shared messaging scripts never clash with a service's own.
    /// </summary>
    public static IReadOnlyList<Migration> FromAssembly(Assembly assembly, string idPrefix)
    {
        const string marker = ".Migrations.";
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var at = resource.LastIndexOf(marker, StringComparison.Ordinal);
            if (at < 0 || !resource.EndsWith(".sql", StringComparison.Ordinal))
                continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration($"{idPrefix}/{resource[(at + marker.Length)..]}", reader.ReadToEnd()));
        }
        return migrations.OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>The outbox, inbox and notify trigger that every service needs.</summary>
    public static IReadOnlyList<Migration> Messaging() => FromAssembly(typeof(Migration).Assembly, "messaging");
}
