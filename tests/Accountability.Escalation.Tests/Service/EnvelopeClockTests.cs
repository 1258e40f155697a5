using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// Assignment publishes a transaction's events in one message (<see cref="CaseEventsCommitted"/>). The clocks must come out
/// exactly as from the same events published one by one, and each event is applied once, under its own id.
/// </summary>
public sealed class EnvelopeClockTests
{
    private static readonly DateTimeOffset T0 = IsolatedEscalation.DefaultStart;

    [Fact]
    public async Task A_routings_events_in_one_message_set_the_clocks_as_the_same_events_published_alone_and_each_is_applied_once_under_its_own_id()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        await host.StartInstanceAsync(T0);
        await host.PublishDirectoryAsync();
        var alone = await CaseScript.RoutedAsync(host, "force", "p-1014", T0, anonymous: false);
        await host.WaitForClockAsync(alone.CaseId, Contracts.Escalation.SlaClocks.FirstContact, _ => true, "the reference case's clocks run");

        // The same history, its receipt from intake, and assignment's three events of opening and routing in one envelope.
        var script = new CaseScript(host, Guid.NewGuid(), "force");
        var received = new ComplaintReceived
        {
            CaseId = script.CaseId, CaseVersion = 1, TrackingCode = "RPD-TEST", Category = "force", Channel = "phone",
            SubjectOfficerBadges = [], Allegations = [], Anonymous = false,
            Complainant = new Contracts.Intake.SealedContact { KeyId = "test-key-1", Ciphertext = "AAAA" },
            IntakeDeskUnitId = "u-intake-desk", ReceivedAt = T0, Actor = "p-1007", Reason = "",
        };
        await host.PublishAsync(received);
        object[] events =
        [
            new CaseOpened
            {
                CaseId = script.CaseId, CaseVersion = script.Next(), Actor = "system:intake", Reason = "", OccurredAt = T0,
                SubjectOfficerBadges = [], Allegations = [], Category = "force",
            },
            script.Transfer("received", "unit", "u-intake-desk", T0),
            new CaseRouted
            {
                CaseId = script.CaseId, CaseVersion = script.Next(), Actor = "system:routing", Reason = "", OccurredAt = T0,
                UnitId = "u-ia", ToOwnerKind = "person", ToOwnerId = "p-1014",
            },
            script.Transfer("routed", "person", "p-1014", T0),
        ];
        var envelope = CaseEventsEnvelope.Of(script.CaseId, events);
        await host.Assignment.ReceiveAsync(received, "p-1014");
        await host.PublishAsync(envelope);

        // The clocks take the opening and the two transfers (CaseRouted moves none), each under its own id.
        var taken = envelope.Events.Where(e => e.Kind != nameof(CaseRouted)).Select(e => e.EventId).ToArray();
        await host.WaitUntilConsumedAsync(taken);
        Assert.Equal((await host.ClocksAsync(alone.CaseId)).GetRawText(), (await host.ClocksAsync(script.CaseId)).GetRawText());

        // Delivered again (a lost ack), and one of its events again under its own id: the inbox knows each event by that id,
        // so nothing moves twice.
        await host.PublishAsync(envelope);
        await host.PublishAsync(events[3], envelope.Events[3].EventId);
        // Then both cases are acknowledged; the acknowledgement, published last, is applied after a duplicate would have been.
        var acknowledged = new List<Guid>();
        foreach (var each in new[] { alone, script })
            acknowledged.Add(await host.PublishTrackedAsync(new CaseAcknowledged
            {
                CaseId = each.CaseId, CaseVersion = each.Next(), Actor = "p-1014", Reason = "", OccurredAt = T0, OwnerKind = "person", OwnerId = "p-1014",
            }));
        await host.WaitUntilConsumedAsync([.. acknowledged]);
        Assert.Equal((await host.ClocksAsync(alone.CaseId)).GetRawText(), (await host.ClocksAsync(script.CaseId)).GetRawText());
        Assert.Equal(3, await host.CountAsync("select count(*) from inbox where message_id = any(@taken)", new { taken }));
        Assert.Equal(0u, await host.QueueDepthAsync(host.QueueName("case-events") + "_error"));
    }
}
