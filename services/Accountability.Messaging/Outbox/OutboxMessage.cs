using System.Text.Json;

namespace Accountability.Messaging.Outbox;

/// <summary>How a message is stored in the outbox: its CLR type by name, and its body as JSON.</summary>
public static class OutboxMessage
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>"Namespace.Type, Assembly": resolvable without version numbers, so upgrades keep old rows readable.</summary>
    public static string TypeName(Type type) =>
        $"{type.FullName}, {type.Assembly.GetName().Name}";

    public static Type? ResolveType(string typeName) => Type.GetType(typeName, throwOnError: false);
}
