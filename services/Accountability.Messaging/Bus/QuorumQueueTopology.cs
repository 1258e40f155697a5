using MassTransit;
using MassTransit.RabbitMqTransport.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Accountability.Messaging.Bus;

/// <summary>
/// RabbitMq:QuorumQueues: what a durable receive endpoint, its _error and its _skipped queue are declared with.
/// <para>
/// MassTransit retries a failing message inside one delivery (the two layers of <see cref="ConsumerRetries"/>) and
/// then moves it to &lt;queue&gt;_error itself, so the broker's delivery count only grows when a consumer dies or
/// loses its connection while holding a message. A message that kills every process that takes it would otherwise
/// go round forever: the delivery limit ends that loop, and the dead-letter exchange puts the message in the same
/// visible &lt;queue&gt;_error queue (declared with the endpoint, so it exists before the first fault), at least once,
/// instead of the broker dropping it.
/// </para>
/// <para>
/// A queue's type is fixed when it is declared: a broker that already holds classic queues of these names refuses
/// the quorum declaration (PRECONDITION_FAILED, inequivalent arg 'x-queue-type'). Drain and delete them, or start
/// on a new virtual host.
/// </para>
/// </summary>
public static class QuorumQueueTopology
{
    private const string DeliveryLimit = "x-delivery-limit";
    private const string DeadLetterExchange = "x-dead-letter-exchange";
    private const string DeadLetterStrategy = "x-dead-letter-strategy";
    private const string Overflow = "x-overflow";

    /// <summary>Every endpoint that ConfigureEndpoints creates; temporary (auto-delete) ones stay classic, as quorum queues cannot auto-delete.</summary>
    public static void ApplyToDurableEndpoints(this IBusRegistrationConfigurator bus) =>
        bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
        {
            var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
            if (!options.QuorumQueues
                || endpoint is not IRabbitMqReceiveEndpointConfigurator rabbit
                || endpoint is not IRabbitMqReceiveEndpointConfiguration { Settings: { Durable: true, AutoDelete: false } settings })
                return;
            Apply(rabbit, settings.QueueName, options.DeliveryLimit);
        });

    /// <summary>The receive queue: quorum, a delivery limit, and dead-lettering (at least once) into its _error queue.</summary>
    public static void Apply(IRabbitMqReceiveEndpointConfigurator endpoint, string queueName, int deliveryLimit)
    {
        var errorQueue = $"{queueName}_error";
        endpoint.SetQuorumQueue();
        endpoint.SetQueueArgument(DeliveryLimit, deliveryLimit);
        // At-least-once dead-lettering needs reject-publish overflow; without a length limit that never rejects.
        endpoint.SetQueueArgument(DeadLetterStrategy, "at-least-once");
        endpoint.SetQueueArgument(Overflow, "reject-publish");
        // Declares <queue>_error (exchange and queue, bound) with the endpoint, and sets x-dead-letter-exchange.
        endpoint.BindDeadLetterQueue(errorQueue, errorQueue, queue => queue.SetQuorumQueue());
    }

    /// <summary>
    /// MassTransit declares &lt;queue&gt;_error and &lt;queue&gt;_skipped with the receive queue's arguments. They keep the
    /// queue type and drop the rest: nothing consumes them, and an _error queue must not dead-letter into itself.
    /// The _error queue's arguments must also equal those <see cref="Apply"/> declared it with, or the broker refuses.
    /// </summary>
    public static void ConfigureErrorAndSkippedQueues(this IRabbitMqBusFactoryConfigurator rabbit)
    {
        rabbit.SendTopology.ConfigureErrorSettings = KeepOnlyTheQueueType;
        rabbit.SendTopology.ConfigureDeadLetterSettings = KeepOnlyTheQueueType;
    }

    private static void KeepOnlyTheQueueType(IRabbitMqQueueBindingConfigurator queue)
    {
        foreach (var argument in new[] { DeliveryLimit, DeadLetterExchange, DeadLetterStrategy, Overflow })
            queue.SetQueueArgument(argument, null!);
    }
}
