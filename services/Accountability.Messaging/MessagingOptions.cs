namespace Accountability.Messaging;

/// <summary>Settings under "Messaging" in configuration. Every value has a working default.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>Off for an instance that should only consume; every service normally relays its own outbox.</summary>
    public bool RelayEnabled { get; set; } = true;

    /// <summary>Rows claimed per relay round trip.</summary>
    public int RelayBatchSize { get; set; } = 100;

    /// <summary>
    /// Fallback poll when no NOTIFY arrives (a lost notification must not strand a row). Commits NOTIFY, a reconnected
    /// listener looks at once, and a failed publish backs off on its own, so this only bounds a lost NOTIFY.
    /// </summary>
    public TimeSpan RelayPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>RabbitMQ.Client 7 can hang on a publish after a broker restart: every publish gets this timeout.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RelayMaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Immediate redeliveries of a failing message before it goes to &lt;queue&gt;_error.</summary>
    public int ConsumerRetryLimit { get; set; } = 3;

    public TimeSpan ConsumerRetryInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Retries, with exponential backoff, while the database or broker is unreachable (about 5 minutes in all by default).</summary>
    public int OutageRetryLimit { get; set; } = 15;

    public TimeSpan OutageMaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Messages a consumer endpoint may hold unacknowledged, which is also how many it works on at once. Eight, not
    /// the 32 it was: on two cores more concurrent transactions only queue on locks and connections (issue 18's
    /// bench: 15% less CPU per complaint, and every stage drained a burst faster).
    /// </summary>
    public int PrefetchCount { get; set; } = 8;

    /// <summary>
    /// How long the receive endpoints may stay down, after they once ran, while the broker itself answers,
    /// or every publish of the relay may time out while a fresh connection can publish, before the process
    /// exits so its supervisor starts a fresh one. Zero turns the watchdog off.
    /// </summary>
    public TimeSpan StuckEndpointExitAfter { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// How long a message for a grouped inbox (notification's planning, intake's public status, escalation's early
    /// warnings) waits for companions when no group is being gathered (500 ms by default), so a complaint's messages, and
    /// at a few complaints a second several complaints', share a transaction. None of them is on custody's path. Zero
    /// processes a lone message at once. A group of half <see cref="PrefetchCount"/> messages is written without waiting
    /// out the rest.
    /// </summary>
    public TimeSpan InboxGroupLinger { get; set; } = TimeSpan.FromMilliseconds(500);

    public void Validate()
    {
        if (StuckEndpointExitAfter < TimeSpan.Zero)
            throw new InvalidOperationException("Messaging:StuckEndpointExitAfter must not be negative (zero turns the watchdog off).");
        if (RelayBatchSize is < 1 or > 10_000)
            throw new InvalidOperationException($"Messaging:RelayBatchSize must be between 1 and 10000, not {RelayBatchSize}.");
        if (RelayPollInterval <= TimeSpan.Zero)
            throw new InvalidOperationException("Messaging:RelayPollInterval must be positive.");
        if (PublishTimeout <= TimeSpan.Zero)
            throw new InvalidOperationException("Messaging:PublishTimeout must be positive.");
        if (RelayMaxBackoff <= TimeSpan.Zero)
            throw new InvalidOperationException("Messaging:RelayMaxBackoff must be positive.");
        if (ConsumerRetryLimit is < 0 or > 100)
            throw new InvalidOperationException($"Messaging:ConsumerRetryLimit must be between 0 and 100, not {ConsumerRetryLimit}.");
        if (OutageRetryLimit is < 0 or > 1000)
            throw new InvalidOperationException($"Messaging:OutageRetryLimit must be between 0 and 1000, not {OutageRetryLimit}.");
        if (OutageMaxBackoff <= TimeSpan.Zero)
            throw new InvalidOperationException("Messaging:OutageMaxBackoff must be positive.");
        if (InboxGroupLinger < TimeSpan.Zero || InboxGroupLinger > TimeSpan.FromSeconds(10))
            throw new InvalidOperationException($"Messaging:InboxGroupLinger must be from 00:00:00 to 00:00:10, not {InboxGroupLinger}.");
        if (PrefetchCount is < 1 or > 10_000)
            throw new InvalidOperationException($"Messaging:PrefetchCount must be between 1 and 10000, not {PrefetchCount}.");
    }
}
