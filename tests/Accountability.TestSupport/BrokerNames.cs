namespace Accountability.TestSupport;

/// <summary>
/// The names MassTransit gives things on the broker as the services configure it, for a test that looks at a queue or a
/// binding, or plays the bindings an older version made.
/// </summary>
public static class BrokerNames
{
    /// <summary>A receive endpoint's queue (and its exchange): the service's schema, in kebab case, is the prefix.</summary>
    public static string Queue(string schema, string endpoint) => $"{schema.Replace('_', '-')}-{endpoint}";

    /// <summary>The fanout exchange a message type is published to.</summary>
    public static string ExchangeOf<T>() => $"{typeof(T).Namespace}:{typeof(T).Name}";
}
