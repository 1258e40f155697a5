using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.Messaging.Outbox;
using MassTransit;
using MassTransit.Context;
using RabbitMQ.Client;

namespace Accountability.Messaging.Bus;

/// <summary>
/// <see cref="CaseEventsCommitted"/> from both ends. Assignment packs a transaction's events, each case's in one envelope;
/// a consumer unpacks it and hands each event it takes to the handler that takes the event alone, as a
/// <see cref="ConsumeContext{T}"/> whose message id is the event's own. So every inbox, trace tag and rule stays as it was.
/// <para>
/// Routing: publishers send to the envelope's fanout exchange (MassTransit's, <see cref="FanoutExchange"/>) with the kinds
/// inside as the routing key. That exchange feeds a topic exchange, <see cref="ExchangeByKind"/>, and each consumer binds
/// its queue there by the kinds it takes (<c>#.CaseRouted.#</c>). A queue matched by several of its bindings gets the
/// envelope once.
/// </para>
/// </summary>
public static class CaseEventsEnvelope
{
    public const string FanoutExchange = "Accountability.Contracts.Custody:CaseEventsCommitted";

    public const string ExchangeByKind = "Accountability.Contracts.Custody:CaseEventsCommittedByKind";

    private static readonly Assembly Contracts = typeof(CaseEventsCommitted).Assembly;

    private static readonly string KindNamespace = typeof(CaseEventsCommitted).Namespace!;

    /// <summary>
    /// One envelope for each run of one case's events with one producer, in order: a transaction on one case is one
    /// envelope; cases opened together are one each, with their own producer's trace.
    /// </summary>
    public static IReadOnlyList<(object Message, Activity? Producer)> Pack(IReadOnlyList<(object Message, Activity? Producer)> events)
    {
        var envelopes = new List<(object, Activity?)>();
        for (var start = 0; start < events.Count;)
        {
            var (caseId, producer) = (CaseIdOf(events[start].Message), events[start].Producer);
            var end = start + 1;
            while (end < events.Count && CaseIdOf(events[end].Message) == caseId && events[end].Producer == producer)
                end++;
            envelopes.Add((Of(caseId, [.. events.Skip(start).Take(end - start).Select(e => e.Message)]), producer));
            start = end;
        }
        return envelopes;
    }

    /// <summary>One case's events in one envelope, in order, each given an event id of its own.</summary>
    public static CaseEventsCommitted Of(Guid caseId, IReadOnlyList<object> events)
    {
        if (events.Count == 0)
            throw new ArgumentException("An envelope holds at least one event.", nameof(events));
        if (events.FirstOrDefault(e => CaseIdOf(e) != caseId) is { } other)
            throw new ArgumentException($"A {other.GetType().Name} of another case is not one of case {caseId}'s events.", nameof(events));
        return new CaseEventsCommitted { CaseId = caseId, Events = [.. events.Select(Item)] };
    }

    /// <summary>The case of a custody event; anything else is refused.</summary>
    private static Guid CaseIdOf(object @event) =>
        KindsByName.TryGetValue(@event.GetType().Name, out var kind) && kind == @event.GetType()
            ? (Guid)CaseIds[kind].GetValue(@event)!
            : throw new ArgumentException($"{@event.GetType().FullName} is not a custody event of the contracts.", nameof(@event));

    private static CommittedCaseEvent Item(object @event) => new()
    {
        EventId = Guid.CreateVersion7(),
        Kind = @event.GetType().Name,
        Event = JsonSerializer.SerializeToElement(@event, @event.GetType(), OutboxMessage.Json),
    };

    /// <summary>Publishes envelopes with the kinds inside as the routing key. Every bus that publishes them calls this.</summary>
    public static void PublishCaseEventsByKind(this IRabbitMqBusFactoryConfigurator rabbit) =>
        rabbit.Send<CaseEventsCommitted>(send => send.UseRoutingKeyFormatter(context => CaseEventsCommitted.RoutingKeyOf(context.Message)));

    /// <summary>
    /// Binds this endpoint to the envelopes that hold an event of a kind <paramref name="consumers"/> take (every
    /// <c>IConsumer&lt;T&gt;</c> of theirs with T a custody event), instead of MassTransit's binding to every envelope.
    /// </summary>
    public static void ReceiveCaseEvents(this IReceiveEndpointConfigurator endpoint, params Type[] consumers) =>
        endpoint.ReceiveCaseEventsOf([.. consumers.SelectMany(KindsTakenBy)]);

    /// <summary>Binds this endpoint to the envelopes that hold an event of one of <paramref name="kinds"/>.</summary>
    public static void ReceiveCaseEventsOf(this IReceiveEndpointConfigurator endpoint, params Type[] kinds)
    {
        if (endpoint is not IRabbitMqReceiveEndpointConfigurator rabbit)
            return;
        if (kinds.FirstOrDefault(k => !AllKinds.Contains(k)) is { } other)
            throw new ArgumentException($"{other.FullName} is not a custody event of the contracts.", nameof(kinds));
        rabbit.ConfigureMessageTopology<CaseEventsCommitted>(false);
        foreach (var key in kinds.Select(k => $"#.{k.Name}.#").Distinct().Append(CaseEventsCommitted.ManyKinds))
            rabbit.Bind(ExchangeByKind, byKind =>
            {
                byKind.ExchangeType = ExchangeType.Topic;
                byKind.RoutingKey = key;
                byKind.Bind(FanoutExchange, fanout =>
                {
                    fanout.ExchangeType = ExchangeType.Fanout;
                    fanout.RoutingKey = "";
                });
            });
    }

    /// <summary>Every custody event of the contracts: the kinds an envelope may hold (a case's, at a case version).</summary>
    public static IReadOnlyList<Type> AllKinds { get; } =
    [
        .. Contracts.GetExportedTypes().Where(t => t.Namespace == KindNamespace && t != typeof(CaseEventsCommitted) && t.IsSealed
            && t.GetProperty("CaseId")?.PropertyType == typeof(Guid) && t.GetProperty("CaseVersion")?.PropertyType == typeof(long)),
    ];

    /// <summary>The kinds by the names an envelope gives them; a name not here is no custody event, and refused.</summary>
    private static readonly Dictionary<string, Type> KindsByName = AllKinds.ToDictionary(k => k.Name, StringComparer.Ordinal);

    private static readonly Dictionary<Type, PropertyInfo> CaseIds = AllKinds.ToDictionary(k => k, k => k.GetProperty("CaseId")!);

    /// <summary>The custody events a consumer takes alone.</summary>
    public static IEnumerable<Type> KindsTakenBy(Type consumer) =>
        consumer.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0])
            .Where(AllKinds.Contains);

    /// <summary>
    /// The events inside, each as its contract. An envelope with no events, an event without an id, an id twice, a kind
    /// that is not a custody event, a body that does not read as its kind, or an event of another case is refused whole,
    /// as unreadable (a <see cref="JsonException"/>, which no retry reads again): it ends in the error queue.
    /// </summary>
    public static IReadOnlyList<UnpackedCaseEvent> Unpack(CaseEventsCommitted envelope)
    {
        if (envelope.Events is not { Count: > 0 } items || items.Any(e => e is null))
            throw new JsonException($"The envelope of case {envelope.CaseId} holds no events, or an empty one.");
        var ids = items.Select(e => e.EventId).ToList();
        if (ids.Contains(Guid.Empty) || ids.Distinct().Count() != ids.Count)
            throw new JsonException($"The envelope of case {envelope.CaseId} names an event with no id, or one twice.");
        return [.. items.Select(item =>
        {
            var type = KindType(item.Kind)
                ?? throw new JsonException($"The envelope of case {envelope.CaseId} holds a {item.Kind ?? "kind of no name"}, which is not a custody event.");
            object message;
            try
            {
                message = item.Event.Deserialize(type, OutboxMessage.Json) ?? throw new JsonException("The event is JSON null.");
            }
            catch (JsonException exception)
            {
                throw new JsonException($"The envelope of case {envelope.CaseId} holds a {item.Kind} that does not read as one: {exception.Message}", exception);
            }
            // Consumers partition and tag by the envelope's case: an event of another case would be applied out of its order.
            if (CaseIdOf(message) != envelope.CaseId)
                throw new JsonException($"The envelope of case {envelope.CaseId} holds a {item.Kind} of case {CaseIdOf(message)}.");
            return new UnpackedCaseEvent(item.EventId, message);
        })];
    }

    private static Type? KindType(string? kind) => kind is null ? null : KindsByName.GetValueOrDefault(kind);

    /// <summary>
    /// Hands each event of the envelope to the first of <paramref name="consumers"/> that takes its kind alone, under the
    /// event's own id, in order; one after the other, unless <paramref name="together"/> (for a consumer whose writer
    /// groups what is handed to it at once). Events no consumer takes, or that <paramref name="takes"/> declines, are
    /// skipped. A failure fails the envelope; its redelivery finds the events already applied in their inboxes.
    /// </summary>
    public static async Task DispatchAsync(
        ConsumeContext<CaseEventsCommitted> context, IReadOnlyList<IConsumer> consumers, Func<object, bool>? takes = null, bool together = false)
    {
        var handed = new List<Func<Task>>();
        foreach (var unpacked in Unpack(context.Message))
        {
            if (takes?.Invoke(unpacked.Event) == false)
                continue;
            var handler = Handlers.GetOrAdd(unpacked.Event.GetType(), HandlerFor);
            if (consumers.FirstOrDefault(c => handler.Takes(c)) is { } consumer)
                handed.Add(() => handler.Consume(consumer, context, unpacked));
        }
        if (together)
            await Task.WhenAll(handed.Select(consume => consume()));
        else
            foreach (var consume in handed)
                await consume();
    }

    private static readonly ConcurrentDictionary<Type, EventHandler> Handlers = new();

    private static EventHandler HandlerFor(Type kind) =>
        (EventHandler)Activator.CreateInstance(typeof(EventHandler<>).MakeGenericType(kind))!;

    private abstract class EventHandler
    {
        public abstract bool Takes(IConsumer consumer);

        public abstract Task Consume(IConsumer consumer, ConsumeContext envelope, UnpackedCaseEvent unpacked);
    }

    private sealed class EventHandler<T> : EventHandler where T : class
    {
        public override bool Takes(IConsumer consumer) => consumer is IConsumer<T>;

        public override Task Consume(IConsumer consumer, ConsumeContext envelope, UnpackedCaseEvent unpacked) =>
            ((IConsumer<T>)consumer).Consume(new UnpackedEventContext<T>(new MessageConsumeContext<T>(envelope, (T)unpacked.Event), unpacked.EventId));
    }

    /// <summary>The envelope's context, for one event inside it: that event as the message, and its id as the message id.</summary>
    private sealed class UnpackedEventContext<T>(ConsumeContext<T> context, Guid eventId) : ConsumeContextProxy<T>(context) where T : class
    {
        public override Guid? MessageId => eventId;
    }
}

/// <summary>An event out of <see cref="CaseEventsCommitted"/>: its id, and itself as its contract.</summary>
public sealed record UnpackedCaseEvent(Guid EventId, object Event);
