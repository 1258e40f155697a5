using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

/// <summary>
/// Assignment publishes a transaction's events in one message (<see cref="CaseEventsCommitted"/>). Notification takes the
/// ones that are news, each under its own id, exactly as if they had come alone.
/// </summary>
[Collection(nameof(NotificationService))]
public sealed class CaseEventsEnvelopeTests(NotificationService service)
{
    [Fact]
    public async Task The_envelope_queue_is_bound_to_the_kinds_that_are_news_and_not_to_a_cases_opening()
    {
        var keys = await IsolatedVirtualHost.BindingKeysAsync(service.VirtualHost.Name, CaseEventsEnvelope.ExchangeByKind, service.QueueName("case-events"));
        Assert.Contains("#.CaseRouted.#", keys);
        Assert.Contains("#.CustodyTransferred.#", keys);
        Assert.Contains("#.CaseResolved.#", keys);
        Assert.Contains(CaseEventsCommitted.ManyKinds, keys);
        Assert.DoesNotContain("#.CaseOpened.#", keys);
        Assert.DoesNotContain("#.CaseAcknowledged.#", keys);
    }

    [Fact]
    public async Task Every_custody_event_a_queue_of_the_service_takes_alone_also_binds_the_envelope_queue()
    {
        // What the service's own queues are bound to for single events, read from the broker: each kind must also bring
        // the envelopes that hold it, or that consumer would never hear of it once assignment publishes envelopes.
        var prefix = service.QueueName("");
        var takenAlone = new List<string>();
        foreach (var kind in CaseEventsEnvelope.AllKinds)
        {
            var exchange = kind == typeof(CustodyTransferred) ? CustodyTransferRouting.ExchangeByKind : $"{kind.Namespace}:{kind.Name}";
            if ((await BindingsOrNoneAsync(exchange)).Any(b => b.Destination.StartsWith(prefix, StringComparison.Ordinal)))
                takenAlone.Add(kind.Name);
        }
        var envelopeKeys = await IsolatedVirtualHost.BindingKeysAsync(service.VirtualHost.Name, CaseEventsEnvelope.ExchangeByKind, service.QueueName("case-events"));

        Assert.Contains(nameof(CaseRouted), takenAlone);
        Assert.Equal(takenAlone.Select(k => $"#.{k}.#").Order(), envelopeKeys.Where(k => k != CaseEventsCommitted.ManyKinds).Order());
    }

    private async Task<List<(string Destination, string RoutingKey)>> BindingsOrNoneAsync(string exchange)
    {
        try
        {
            return await IsolatedVirtualHost.BindingsFromAsync(service.VirtualHost.Name, exchange);
        }
        catch (HttpRequestException missing) when (missing.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return []; // no exchange: nobody publishes or takes that kind here
        }
    }

    [Fact]
    public async Task A_routings_events_in_one_message_tell_the_complainant_and_the_new_owner_once_and_skip_the_receipt_and_routing_transfers()
    {
        var complaint = NotificationService.Complaint(NotificationService.NewEmail("envelope"));
        await service.PublishAsync(complaint);
        var at = DateTimeOffset.UtcNow;
        var routed = NotificationService.RoutedToOwner(complaint.CaseId);
        object[] events =
        [
            new CaseOpened
            {
                CaseId = complaint.CaseId, CaseVersion = NotificationService.Version(2), Actor = "system:assignment", Reason = "", OccurredAt = at,
                SubjectOfficerBadges = ["614"], Allegations = [], Category = "force", District = "2",
            },
            new CustodyTransferred
            {
                CaseId = complaint.CaseId, CaseVersion = NotificationService.Version(3), Actor = "system:assignment", Reason = "", OccurredAt = at,
                ToOwnerKind = "unit", ToOwnerId = "u-nt-desk", TransferKind = TransferKinds.Received,
            },
            routed,
            new CustodyTransferred
            {
                CaseId = complaint.CaseId, CaseVersion = NotificationService.Version(5), Actor = "system:router", Reason = routed.Reason, OccurredAt = at,
                FromOwnerKind = "unit", FromOwnerId = "u-nt-desk", ToOwnerKind = "person", ToOwnerId = "nt-owner", TransferKind = TransferKinds.Routed,
            },
        ];
        var envelope = CaseEventsEnvelope.Of(complaint.CaseId, events);

        await service.PublishAsync(envelope);
        await service.WaitProcessedAsync(envelope.Events[2].EventId);
        await service.WaitForNotificationAsync(complaint.CaseId, "routed", n => n.GetProperty("status").GetString() == "sent", "the complainant hears which unit");
        await service.WaitForNotificationAsync(complaint.CaseId, "assignment", n => n.GetProperty("status").GetString() == "sent", "the new owner hears");

        // Delivered again (a lost ack): nothing is planned twice.
        await service.PublishAsync(envelope);
        var marker = NotificationService.Complaint(NotificationService.NewEmail("marker"));
        await service.PublishAsync(marker);
        await service.WaitForNotificationAsync(marker.CaseId, "receipt", _ => true, "a complaint published after the repeat is taken");
        var planned = (await service.NotificationsAsync(complaint.CaseId)).EnumerateArray().Select(n => n.GetProperty("template").GetString()).Order().ToList();
        Assert.Equal(["assignment", "receipt", "routed"], planned);
        Assert.Single(service.Smtp.To("owner@nt.example"), m => m.Text.Contains(complaint.CaseId.ToString(), StringComparison.Ordinal));
        // The opening and the two transfers were never handed to a consumer: the inbox holds the routing alone.
        var taken = await service.QueryAsync<Guid>("select message_id from inbox where message_id = any(@ids)", new { ids = envelope.Events.Select(e => e.EventId).ToArray() });
        Assert.Equal([envelope.Events[2].EventId], taken);
    }
}
