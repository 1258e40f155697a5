using System.Text.Json;

namespace Accountability.Contracts.Custody;

/// <summary>
/// The events one transaction of assignment committed on one case, in their order, published as one message. A routed
/// complaint's four events (CaseOpened, the received transfer, CaseRouted, the routed transfer) were four publishes and,
/// at the clocks and the trail, four deliveries each. Every consumer takes each event inside as the message it stands
/// for, under that event's own id in its inbox, so a redelivered envelope applies nothing twice. The routing key names the
/// kinds inside (<see cref="RoutingKeyOf"/>), so a queue is bound only to what it takes. Published only where a queue takes
/// it (<see cref="MustReachAQueueAttribute"/>).
/// </summary>
[MustReachAQueue]
public sealed record CaseEventsCommitted
{
    public required Guid CaseId { get; init; }

    /// <summary>In the order they were committed (their case versions rise).</summary>
    public required IReadOnlyList<CommittedCaseEvent> Events { get; init; }

    /// <summary>The longest routing key the broker takes, in bytes.</summary>
    public const int RoutingKeyLimit = 255;

    /// <summary>The key of an envelope whose kinds would not fit in one: every consumer binds it too.</summary>
    public const string ManyKinds = "ManyKinds";

    /// <summary>The kinds inside, each once, in order, as the words of a topic routing key: "CaseOpened.CustodyTransferred.CaseRouted".</summary>
    public static string RoutingKeyOf(CaseEventsCommitted envelope)
    {
        var key = string.Join('.', envelope.Events.Select(e => e.Kind).Distinct(StringComparer.Ordinal));
        return key.Length is 0 or > RoutingKeyLimit ? ManyKinds : key;
    }
}

/// <summary>One event of <see cref="CaseEventsCommitted"/>.</summary>
public sealed record CommittedCaseEvent
{
    /// <summary>What the message id is to the event published alone: the key every consumer's inbox records it under.</summary>
    public required Guid EventId { get; init; }

    /// <summary>The contract's name in <c>Accountability.Contracts.Custody</c>: "CaseOpened", "CustodyTransferred"…</summary>
    public required string Kind { get; init; }

    /// <summary>The event as it would have been published alone.</summary>
    public required JsonElement Event { get; init; }
}
