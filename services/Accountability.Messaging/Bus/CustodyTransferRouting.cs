using Accountability.Contracts.Custody;
using MassTransit;

namespace Accountability.Messaging.Bus;

/// <summary>
/// CustodyTransferred goes out on a topic exchange with its <see cref="CustodyTransferred.TransferKind"/> as the routing
/// key, so the broker delivers to each consumer only the kinds it acts on. Every complaint moves custody twice before anyone
/// acts (received, then routed); on a fanout exchange intake's public status received both only to skip them, and
/// notification the first: three deliveries a complaint that cost the broker a quorum write each and a consumer a wake-up.
/// <para>
/// The exchange is new, beside the fanout one MassTransit made for the type (an exchange's type cannot change). Each
/// consumer stays bound to the old one too: during a rolling upgrade, instances of assignment that are not yet upgraded
/// keep publishing there, and their events still arrive. Nothing publishes there once they are gone, so the binding costs
/// nothing; consumers keep skipping the kinds they ignore, for those events.
/// </para>
/// <para>
/// A topic exchange delivers nothing to a queue bound without a key, so every consumer of CustodyTransferred says what it
/// wants with <see cref="ReceiveCustodyTransfers"/> in its definition (no kinds: all of them).
/// </para>
/// </summary>
public static class CustodyTransferRouting
{
    /// <summary>The topic exchange every publisher uses.</summary>
    public const string ExchangeByKind = "Accountability.Contracts.Custody:CustodyTransferredByKind";

    /// <summary>The fanout exchange publishers used before, named by MassTransit's convention for the type.</summary>
    public const string FanoutExchange = "Accountability.Contracts.Custody:CustodyTransferred";

    private const string EveryKind = "#";

    /// <summary>Publishes CustodyTransferred to <see cref="ExchangeByKind"/>, keyed by its kind. Every bus that publishes it calls this.</summary>
    public static void PublishCustodyTransfersByKind(this IRabbitMqBusFactoryConfigurator rabbit)
    {
        rabbit.Message<CustodyTransferred>(message => message.SetEntityName(ExchangeByKind));
        rabbit.Publish<CustodyTransferred>(publish => publish.ExchangeType = RabbitMQ.Client.ExchangeType.Topic);
        rabbit.Send<CustodyTransferred>(send => send.UseRoutingKeyFormatter(context => context.Message.TransferKind));
    }

    /// <summary>
    /// Binds this endpoint to the transfers of <paramref name="kinds"/> (<see cref="TransferKinds"/>; none means every
    /// kind), instead of MassTransit's binding, and to <see cref="FanoutExchange"/> for publishers not yet upgraded.
    /// </summary>
    public static void ReceiveCustodyTransfers(this IReceiveEndpointConfigurator endpoint, params string[] kinds)
    {
        if (endpoint is not IRabbitMqReceiveEndpointConfigurator rabbit)
            return;
        var unknown = kinds.Except(TransferKinds.All).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Not a transfer kind: {string.Join(", ", unknown)}; the kinds are {string.Join(", ", TransferKinds.All)}", nameof(kinds));
        rabbit.ConfigureMessageTopology<CustodyTransferred>(false);
        foreach (var key in kinds.Length == 0 ? [EveryKind] : kinds.Distinct())
            rabbit.Bind<CustodyTransferred>(binding => binding.RoutingKey = key);
        rabbit.Bind(FanoutExchange, binding => binding.ExchangeType = RabbitMQ.Client.ExchangeType.Fanout);
    }
}
