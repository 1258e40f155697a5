using Accountability.Contracts.Custody;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Accountability.Messaging.Bus;

/// <summary>
/// CustodyTransferred carries its <see cref="CustodyTransferred.TransferKind"/> as its routing key, so the broker delivers
/// to each consumer only the kinds it acts on. Every complaint moves custody twice before anyone acts (received, then
/// routed); bound to everything, intake's public status received both only to skip them, and notification the first:
/// three deliveries a complaint, each a broker write and a consumer's wake-up.
/// <para>
/// Publishers still publish to the type's fanout exchange (MassTransit's, <see cref="FanoutExchange"/>), now with the
/// kind as the key. That exchange is bound to a topic exchange, <see cref="ExchangeByKind"/>, and a consumer that chose
/// its kinds is bound to the topic exchange only, by each kind and by the empty key. So during a rolling upgrade nothing is
/// lost and nothing arrives twice, in any order:
/// </para>
/// <list type="bullet">
/// <item>a consumer not yet upgraded is still bound to the fanout exchange, and gets every event, as before;</item>
/// <item>an assignment not yet upgraded publishes with the empty key, which the topic exchange passes to every upgraded consumer (which skips the kinds it ignores, as before);</item>
/// <item>an upgraded consumer removes its queue's old binding to the fanout exchange once its new ones exist (<see cref="LegacyBindingRemover"/>), or it would get every event twice.</item>
/// </list>
/// A topic exchange delivers nothing to a queue bound without a key, so every consumer of CustodyTransferred says what it
/// wants with <see cref="ReceiveCustodyTransfers"/> in its definition (no kinds: all of them).
/// </summary>
public static class CustodyTransferRouting
{
    /// <summary>The topic exchange that sorts the transfers by kind; the fanout exchange feeds it.</summary>
    public const string ExchangeByKind = "Accountability.Contracts.Custody:CustodyTransferredByKind";

    /// <summary>The exchange publishers use, named by MassTransit's convention for the type.</summary>
    public const string FanoutExchange = "Accountability.Contracts.Custody:CustodyTransferred";

    private const string EveryKind = "#";

    /// <summary>The key of an event published without one: by an assignment from before this routing.</summary>
    private const string NoKind = "";

    /// <summary>Publishes CustodyTransferred with its kind as the routing key. Every bus that publishes it calls this.</summary>
    public static void PublishCustodyTransfersByKind(this IRabbitMqBusFactoryConfigurator rabbit) =>
        rabbit.Send<CustodyTransferred>(send => send.UseRoutingKeyFormatter(context => context.Message.TransferKind));

    /// <summary>
    /// Binds this endpoint to the transfers of <paramref name="kinds"/> (<see cref="TransferKinds"/>; none means every
    /// kind) and to those published without a kind, instead of MassTransit's binding to every transfer.
    /// </summary>
    public static void ReceiveCustodyTransfers(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context, params string[] kinds)
    {
        if (endpoint is not IRabbitMqReceiveEndpointConfigurator rabbit)
            return;
        var unknown = kinds.Except(TransferKinds.All).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Not a transfer kind: {string.Join(", ", unknown)}; the kinds are {string.Join(", ", TransferKinds.All)}", nameof(kinds));
        rabbit.ConfigureMessageTopology<CustodyTransferred>(false);
        IEnumerable<string> keys = kinds.Length == 0 ? [EveryKind] : [.. kinds.Distinct(), NoKind];
        foreach (var key in keys)
            rabbit.Bind(ExchangeByKind, byKind =>
            {
                byKind.ExchangeType = ExchangeType.Topic;
                byKind.RoutingKey = key;
                // The fanout exchange feeds the topic exchange with every transfer, keys kept.
                byKind.Bind(FanoutExchange, fanout =>
                {
                    fanout.ExchangeType = ExchangeType.Fanout;
                    fanout.RoutingKey = NoKind;
                });
            });
        endpoint.ConnectReceiveEndpointObserver(new LegacyBindingRemover(
            context.GetRequiredService<BrokerProbe>(), context.GetRequiredService<ILogger<LegacyBindingRemover>>()));
    }

    /// <summary>
    /// Once the endpoint's bindings are declared, removes the binding from the fanout exchange straight to the endpoint's
    /// exchange that MassTransit made before this routing. It still exists on a broker that ran an older version, and would
    /// bring every transfer a second time. Removing a binding that is not there does nothing.
    /// </summary>
    public sealed class LegacyBindingRemover(BrokerProbe broker, ILogger<LegacyBindingRemover> logger) : IReceiveEndpointObserver
    {
        public async Task Ready(ReceiveEndpointReady ready)
        {
            // The endpoint's exchange has the queue's name, the last segment of its address.
            var endpointExchange = ready.InputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            if (string.IsNullOrEmpty(endpointExchange))
                return;
            try
            {
                var connection = await broker.ConnectionAsync();
                await using var channel = await connection.CreateChannelAsync();
                await channel.ExchangeUnbindAsync(endpointExchange, FanoutExchange, NoKind);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The endpoint is ready again after a reconnect, and this runs again then.
                logger.LogWarning(exception, "Could not remove the old binding of {Exchange} to {Endpoint}; it brings each custody transfer twice until it is removed",
                    FanoutExchange, endpointExchange);
            }
        }

        public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

        public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

        public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
    }
}
