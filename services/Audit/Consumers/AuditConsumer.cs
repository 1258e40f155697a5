using Accountability.Audit.Features.Checkpoints;
using Accountability.Audit.Features.Recording;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Audit.Consumers;

/// <summary>Records one message of any contract type; registered once per type found in the contracts.</summary>
public sealed class AuditConsumer<TMessage>(TrailBatcher trail, CheckpointSigner checkpoints)
    : IConsumer<TMessage> where TMessage : class
{
    /// <summary>One inbox name for every type: a MessageId is unique across types.</summary>
    public const string InboxName = "audit-trail";

    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var audited = AuditedMessages.For(typeof(TMessage));
        var incoming = new IncomingEvent(context.RequireMessageId(), context.Message, audited, TraceParent.Of(context));
        if (audited.CaseIdOf(context.Message) is { } caseId)
            System.Diagnostics.Activity.Current.TagCase(caseId, $"audit:{audited.Name}");

        // Claimed in the inbox and appended together with whatever other events arrived meanwhile.
        var recorded = await trail.AppendAsync(incoming, context.CancellationToken);
        if (recorded)
            checkpoints.RecordAppended();
    }
}

/// <summary>
/// All audit consumers share one queue, &lt;schema&gt;-trail, so the trail sees events roughly in
/// publication order. Retries are per consumer (not per endpoint: forty endpoint-level retry filters
/// on one queue would multiply), in the same two layers as every other consumer, then the message goes to &lt;schema&gt;-trail_error.
/// </summary>
public sealed class AuditConsumerDefinition<TMessage> : ConsumerDefinition<AuditConsumer<TMessage>> where TMessage : class
{
    public AuditConsumerDefinition(IOptions<AuditOptions> audit) => Endpoint(endpoint => TrailQueue.Name(endpoint, audit.Value));

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AuditConsumer<TMessage>> consumerConfigurator,
        IRegistrationContext context)
    {
        TrailQueue.Configure(endpointConfigurator, consumerConfigurator, context);
        // The trail records every kind of custody move.
        if (typeof(TMessage) == typeof(Contracts.Custody.CustodyTransferred))
            endpointConfigurator.ReceiveCustodyTransfers(context);
    }
}

/// <summary>What every consumer on the trail's queue shares: the queue, its retries and its prefetch.</summary>
public static class TrailQueue
{
    public static void Name(IEndpointRegistrationConfigurator endpoint, AuditOptions options)
    {
        endpoint.Name = $"{options.Schema.Replace('_', '-')}-trail";
        endpoint.Temporary = options.TransientQueue;
    }

    public static void Configure<TConsumer>(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
        where TConsumer : class
    {
        var messaging = context.GetRequiredService<IOptions<Messaging.MessagingOptions>>().Value;
        // The same two layers as every other consumer (found by make chaos: with one short layer, a
        // PostgreSQL restart parked 145 healthy events in the trail's error queue).
        consumerConfigurator.UseMessageRetry(Messaging.Bus.ConsumerRetries.OutageRetry(messaging));
        consumerConfigurator.UseMessageRetry(Messaging.Bus.ConsumerRetries.MessageRetry(messaging, messaging.ConsumerRetryLimit));
        // Enough in flight to fill an append batch: the events wait for the batch's commit, not for each other.
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.PrefetchCount = context.GetRequiredService<IOptions<AuditOptions>>().Value.TrailPrefetch(messaging);
    }
}
