using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

/// <summary>
/// A broker that ran a version from before custody transfers were routed by kind still binds the transfers' fanout
/// exchange straight to the service's queue. Started there, the service removes that binding once its own exist, so each
/// transfer comes once, by the topic exchange. A broker that ran the version before routing's news came with CaseRouted
/// also binds the routed transfers by kind; that binding stays (an instance still on that version may take the CaseRouted
/// and plan no news for the owner), so the routed transfer still comes, and plans the same delivery, recorded once. The
/// test runs a service of its own.
/// </summary>
public sealed class CustodyTransferUpgradeTests : IAsyncLifetime
{
    private readonly NotificationService service;

    public CustodyTransferUpgradeTests()
    {
        NotificationService? started = null;
        service = started = new NotificationService
        {
            BeforeStart = async vhost =>
            {
                await vhost.BindFanoutExchangesAsync(CustodyTransferRouting.FanoutExchange, started!.QueueName("custody-transferred"));
                await vhost.BindByKeyAsync(CustodyTransferRouting.ExchangeByKind, started.QueueName("custody-transferred"), TransferKinds.Routed);
            },
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

    [Fact]
    public async Task A_routed_transfer_an_older_binding_still_brings_adds_nothing_to_the_owners_news_from_routing()
    {
        var complaint = NotificationService.Complaint(NotificationService.NewEmail("upgrade"));
        await service.PublishAsync(complaint);
        var transferId = Guid.NewGuid();
        await service.PublishAsync(NotificationService.RoutedToOwner(complaint.CaseId));
        await service.PublishAsync(new CustodyTransferred
        {
            CaseId = complaint.CaseId, CaseVersion = NotificationService.Version(5), Actor = "system:router", Reason = "force → internal affairs",
            OccurredAt = DateTimeOffset.UtcNow, FromOwnerKind = "unit", FromOwnerId = "u-nt-desk", ToOwnerKind = "person", ToOwnerId = "nt-owner",
            TransferKind = TransferKinds.Routed,
        }, transferId);

        await service.WaitProcessedAsync(transferId);
        await service.WaitForNotificationAsync(complaint.CaseId, "assignment", n => n.GetProperty("status").GetString() == "sent", "the new owner hears");
        Assert.Single((await service.NotificationsAsync(complaint.CaseId)).EnumerateArray(), n => n.GetProperty("template").GetString() == "assignment");
        Assert.Single(service.Smtp.To("owner@nt.example"), m => m.Text.Contains(complaint.CaseId.ToString(), StringComparison.Ordinal));
    }
}
