using System.Linq.Expressions;
using System.Reflection;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Accountability.Messaging.Bus;

/// <summary>
/// A consumer whose messages about one case run one at a time in this process (MassTransit's partitioner, keyed by
/// the message's <c>CaseId</c>), while messages about different cases run in parallel. A case's events often arrive
/// together; without it they queued on the case's row lock, each holding a database connection. The row lock stays:
/// it is what orders several instances. Every message type the consumer takes must have a <c>Guid CaseId</c>.
/// </summary>
public abstract class OneCaseAtATimeConsumerDefinition<TConsumer> : RetryingConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private static readonly MethodInfo PartitionMethod =
        typeof(OneCaseAtATimeConsumerDefinition<TConsumer>).GetMethod(nameof(Partition), BindingFlags.NonPublic | BindingFlags.Static)!;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        var inFlight = InFlight(context);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.PrefetchCount = inFlight;
        var partitioner = endpointConfigurator.CreatePartitioner(inFlight);
        foreach (var messageType in typeof(TConsumer).GetInterfaces()
                     .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
                     .Select(i => i.GetGenericArguments()[0]))
            PartitionMethod.MakeGenericMethod(messageType).Invoke(null, [consumerConfigurator, partitioner]);
    }

    /// <summary>
    /// How many messages the queue hands this instance at once, and so how many cases can be worked on side by side:
    /// <c>Messaging:PrefetchCount</c> unless the consumer has a setting of its own.
    /// </summary>
    protected virtual int InFlight(IRegistrationContext context) => context.GetRequiredService<IOptions<MessagingOptions>>().Value.PrefetchCount;

    private static void Partition<TMessage>(IConsumerConfigurator<TConsumer> consumer, IPartitioner partitioner) where TMessage : class
    {
        var caseId = CaseIdOf<TMessage>.Read;
        consumer.Message<TMessage>(m => m.UsePartitioner(partitioner, c => caseId(c.Message)));
    }

    /// <summary>The message's CaseId as a compiled getter, built once per message type; a type without one fails at start.</summary>
    private static class CaseIdOf<TMessage>
    {
        public static readonly Func<TMessage, Guid> Read = Build();

        private static Func<TMessage, Guid> Build()
        {
            var property = typeof(TMessage).GetProperty("CaseId", typeof(Guid))
                           ?? throw new InvalidOperationException($"{typeof(TConsumer).Name} is partitioned by case, but {typeof(TMessage).Name} has no Guid CaseId.");
            var message = Expression.Parameter(typeof(TMessage), "message");
            return Expression.Lambda<Func<TMessage, Guid>>(Expression.Property(message, property), message).Compile();
        }
    }
}
