using Accountability.Contracts;
using Accountability.Messaging.Outbox;
using Accountability.Messaging.Relay;
using Accountability.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>A message newer than its consumer: no queue is bound to its exchange until that consumer is upgraded.</summary>
[MustReachAQueue]
public sealed record HeardWorkItem
{
    public required Guid WorkId { get; init; }
}

public sealed class MandatoryPublishTests
{
    [Fact]
    public async Task A_message_that_must_reach_a_queue_stays_in_the_outbox_until_one_is_bound_and_holds_nothing_else_back()
    {
        await using var vhost = await IsolatedVirtualHost.CreateAsync("mandatory");
        await using var host = await MessagingTestHost.StartAsync(relay: false, rabbitMqUri: vhost.AmqpUri);
        var heard = Guid.NewGuid();
        await using (var connection = await host.Database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await OutboxWriter.EnqueueAsync(transaction, new HeardWorkItem { WorkId = heard });
            await transaction.CommitAsync();
        }
        // An ordinary message after it, to an exchange nobody is bound to either: that one the broker may drop, as before.
        await using (var connection = await host.Database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await OutboxWriter.EnqueueAsync(transaction, new UnheardWorkItem { WorkId = Guid.NewGuid() });
            await transaction.CommitAsync();
        }
        var delivered = await host.WriteWorkItemAsync();
        var relay = ActivatorUtilities.CreateInstance<OutboxRelay>(host.Services);
        var settings = new MessagingOptions { RelayBatchSize = 10 };

        var refused = await Assert.ThrowsAsync<OutboxPublishException>(() => relay.RelayBatchAsync(settings, CancellationToken.None));

        Assert.Contains("1 of 3", refused.Message);
        var held = await host.CountAsync(
            "select count(*) from outbox where published_at is null and failed_at is null and message_type like @type and last_error like 'No queue takes HeardWorkItem yet%'",
            new { type = typeof(HeardWorkItem).FullName + ",%" });
        Assert.Equal(1, held);
        Assert.Equal(2, await host.CountAsync("select count(*) from outbox where published_at is not null"));
        await Eventually.HoldsAsync(() => host.Log.Deliveries.ContainsKey(delivered), "the work item behind it was delivered");

        // The consumer's new version binds its queue; the next batch publishes the message into it, once.
        var exchange = BrokerNames.ExchangeOf<HeardWorkItem>();
        await vhost.BindQueueAsync(exchange, "heard-work-item");
        Assert.Equal(1, await relay.RelayBatchAsync(settings, CancellationToken.None));

        Assert.Equal(0, await host.CountAsync("select count(*) from outbox where published_at is null"));
        Assert.Equal(1u, await vhost.QueueDepthAsync("heard-work-item"));
    }
}

public sealed record UnheardWorkItem
{
    public required Guid WorkId { get; init; }
}
