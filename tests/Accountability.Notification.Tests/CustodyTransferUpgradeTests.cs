using Accountability.Messaging.Bus;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

/// <summary>
/// A broker that ran a version from before custody transfers were routed by kind still binds the transfers' fanout
/// exchange straight to the service's queue. Started there, the service removes that binding once its own exist, so each
/// transfer comes once, by the topic exchange, and only of the kinds it acts on. The test runs a service of its own.
/// </summary>
public sealed class CustodyTransferUpgradeTests : IAsyncLifetime
{
    private readonly NotificationService service;

    public CustodyTransferUpgradeTests()
    {
        NotificationService? started = null;
        service = started = new NotificationService
        {
            BeforeStart = vhost => vhost.BindFanoutExchangesAsync(CustodyTransferRouting.FanoutExchange, started!.QueueName("custody-transferred")),
        };
    }

    public Task InitializeAsync() => service.InitializeAsync();

    public Task DisposeAsync() => service.DisposeAsync();

    [Fact]
    public async Task The_old_binding_straight_to_the_queue_is_removed_and_transfers_still_arrive_by_kind()
    {
        var queue = service.QueueName("custody-transferred");
        Assert.Contains(queue, (await IsolatedVirtualHost.BindingsFromAsync(service.VirtualHost.Name, CustodyTransferRouting.ExchangeByKind)).Select(b => b.Destination));
        await Eventually.HoldsAsync(async () =>
            !(await IsolatedVirtualHost.BindingsFromAsync(service.VirtualHost.Name, CustodyTransferRouting.FanoutExchange)).Any(b => b.Destination == queue),
            "the old binding is gone");

        Assert.Equal("nt-super", await service.HandANewCaseToTheUnitAsync());
    }
}
