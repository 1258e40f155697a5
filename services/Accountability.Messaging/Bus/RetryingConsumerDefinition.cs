using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Accountability.Messaging.Bus;

/// <summary>
/// The retry policy of one consumer. When the retries run out MassTransit moves the message to
/// &lt;queue&gt;_error, where it stays visible and can be re-driven; it never loops.
/// Override <see cref="RetryLimit"/> for a consumer that needs a different budget.
/// </summary>
public abstract class RetryingConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected virtual int? RetryLimit => null;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
        var limit = RetryLimit ?? options.ConsumerRetryLimit;
        endpointConfigurator.UseMessageRetry(ConsumerRetries.OutageRetry(options));
        endpointConfigurator.UseMessageRetry(ConsumerRetries.MessageRetry(options, limit));
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.PrefetchCount = options.PrefetchCount;
    }
}

/// <summary>The two retry layers every consumer gets, for definitions that cannot derive from <see cref="RetryingConsumerDefinition{TConsumer}"/>.</summary>
public static class ConsumerRetries
{
    /// <summary>
    /// Outer layer: the database or broker being unreachable says nothing about the message. It is retried
    /// with backoff for minutes, so a PostgreSQL restart never parks healthy messages as poison.
    /// </summary>
    public static Action<IRetryConfigurator> OutageRetry(MessagingOptions options) => retry =>
    {
        retry.Handle<Exception>(TransientFailures.IsTransient);
        retry.Exponential(options.OutageRetryLimit, TimeSpan.FromMilliseconds(200), options.OutageMaxBackoff, TimeSpan.FromMilliseconds(500));
    };

    /// <summary>Inner layer: anything else is the message's own problem: a short budget, then &lt;queue&gt;_error.</summary>
    public static Action<IRetryConfigurator> MessageRetry(MessagingOptions options, int limit) => retry =>
    {
        retry.Ignore<Exception>(TransientFailures.IsTransient);
        // A message that can never be read will not become readable by retrying.
        retry.Ignore<System.Text.Json.JsonException>();
        retry.Interval(limit, options.ConsumerRetryInterval);
    };
}
