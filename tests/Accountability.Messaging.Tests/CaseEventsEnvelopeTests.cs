using System.Diagnostics;
using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.Messaging.Outbox;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>How assignment's events are packed into <see cref="CaseEventsCommitted"/> and read back out.</summary>
public sealed class CaseEventsEnvelopeTests
{
    private static CaseAcknowledged Acknowledged(Guid caseId, long version) => new()
    {
        CaseId = caseId, CaseVersion = version, Actor = "p-1014", Reason = "", OccurredAt = DateTimeOffset.UnixEpoch, OwnerKind = "person", OwnerId = "p-1014",
    };

    private static CaseRouted Routed(Guid caseId, long version) => new()
    {
        CaseId = caseId, CaseVersion = version, Actor = "system:routing", Reason = "force", OccurredAt = DateTimeOffset.UnixEpoch,
        UnitId = "u-ia", ToOwnerKind = "person", ToOwnerId = "p-1014",
    };

    [Fact]
    public void Each_cases_run_of_events_with_one_producer_becomes_one_envelope_in_order()
    {
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        using var one = new Activity("one").Start();
        using var other = new Activity("other").Start();

        var packed = CaseEventsEnvelope.Pack(
        [
            (Routed(first, 3), one), (Acknowledged(first, 4), one),
            (Routed(second, 3), other),
            (Acknowledged(second, 4), one),
        ]);

        Assert.Equal([(first, 2, one), (second, 1, other), (second, 1, one)],
            packed.Select(p => (((CaseEventsCommitted)p.Message).CaseId, ((CaseEventsCommitted)p.Message).Events.Count, p.Producer)));
        var envelope = (CaseEventsCommitted)packed[0].Message;
        Assert.Equal(["CaseRouted", "CaseAcknowledged"], envelope.Events.Select(e => e.Kind));
        Assert.Equal("CaseRouted.CaseAcknowledged", CaseEventsCommitted.RoutingKeyOf(envelope));
        Assert.Equal(4, packed.SelectMany(p => ((CaseEventsCommitted)p.Message).Events).Select(e => e.EventId).Distinct().Count());
    }

    [Fact]
    public void Unpacked_events_read_as_the_events_packed_each_with_its_own_id()
    {
        var caseId = Guid.NewGuid();
        object[] events = [Routed(caseId, 3), Acknowledged(caseId, 4)];
        var envelope = CaseEventsEnvelope.Of(caseId, events);
        // Through the outbox's JSON and back, as the relay reads the row.
        var relayed = JsonSerializer.Deserialize<CaseEventsCommitted>(JsonSerializer.Serialize(envelope, OutboxMessage.Json), OutboxMessage.Json)!;

        var unpacked = CaseEventsEnvelope.Unpack(relayed);

        Assert.Equal(envelope.Events.Select(e => e.EventId), unpacked.Select(u => u.EventId));
        Assert.Equal(events.Select(e => e.GetType()), unpacked.Select(u => u.Event.GetType()));
        Assert.Equal(events.Select(e => JsonSerializer.Serialize(e, e.GetType(), OutboxMessage.Json)),
            unpacked.Select(u => JsonSerializer.Serialize(u.Event, u.Event.GetType(), OutboxMessage.Json)));
    }

    [Fact]
    public void A_key_too_long_for_the_broker_names_many_kinds_instead_and_every_consumer_binds_that_too()
    {
        var envelope = new CaseEventsCommitted
        {
            CaseId = Guid.NewGuid(),
            Events = [.. Enumerable.Range(0, 30).Select(i => new CommittedCaseEvent { EventId = Guid.NewGuid(), Kind = $"Kind{i:D2}WithARatherLongName", Event = default })],
        };

        Assert.Equal(CaseEventsCommitted.ManyKinds, CaseEventsCommitted.RoutingKeyOf(envelope));
    }

    [Fact]
    public void Only_custody_events_go_into_an_envelope_and_only_they_come_out()
    {
        var complaint = new { CaseId = Guid.NewGuid() };
        Assert.Throws<ArgumentException>(() => CaseEventsEnvelope.Of(complaint.CaseId, [complaint]));
        Assert.Throws<ArgumentException>(() => CaseEventsEnvelope.Of(Guid.NewGuid(), [Routed(complaint.CaseId, 3)]));

        var envelope = new CaseEventsCommitted
        {
            CaseId = Guid.NewGuid(),
            Events = [new CommittedCaseEvent { EventId = Guid.NewGuid(), Kind = nameof(ComplaintReceived), Event = JsonSerializer.SerializeToElement(new { }) }],
        };
        Assert.Contains("not a custody event", Assert.Throws<JsonException>(() => CaseEventsEnvelope.Unpack(envelope)).Message, StringComparison.Ordinal);
        Assert.Throws<JsonException>(() => CaseEventsEnvelope.Unpack(envelope with { Events = [envelope.Events[0] with { Kind = "System.Object" }] }));
        // No events, a kind without a name, an event of another case: each refused as unreadable, never retried.
        Assert.Throws<JsonException>(() => CaseEventsEnvelope.Unpack(envelope with { Events = [] }));
        Assert.Throws<JsonException>(() => CaseEventsEnvelope.Unpack(envelope with { Events = null! }));
        Assert.Throws<JsonException>(() => CaseEventsEnvelope.Unpack(envelope with { Events = [envelope.Events[0] with { Kind = null! }] }));
        var routedElsewhere = Routed(Guid.NewGuid(), 3);
        var elsewhere = CaseEventsEnvelope.Of(routedElsewhere.CaseId, [routedElsewhere]) with { CaseId = envelope.CaseId };
        Assert.Contains("of case", Assert.Throws<JsonException>(() => CaseEventsEnvelope.Unpack(elsewhere)).Message, StringComparison.Ordinal);
        // A part of a custody event, in the same namespace, is no event of its own.
        var allegation = JsonSerializer.SerializeToElement(new CaseAllegation { Id = "a-1", Type = "force", OfficerBadge = "614" }, OutboxMessage.Json);
        Assert.Throws<JsonException>(() => CaseEventsEnvelope.Unpack(envelope with { Events = [envelope.Events[0] with { Kind = nameof(CaseAllegation), Event = allegation }] }));
    }

    [Fact]
    public void The_kinds_a_consumer_binds_are_the_custody_events_it_takes_alone()
    {
        Assert.Equal([typeof(CaseRouted), typeof(CaseAcknowledged)], CaseEventsEnvelope.KindsTakenBy(typeof(TakesRoutingAndAcknowledgement)));
        Assert.Contains(typeof(CaseOpened), CaseEventsEnvelope.AllKinds);
        Assert.DoesNotContain(typeof(CaseEventsCommitted), CaseEventsEnvelope.AllKinds);
        Assert.DoesNotContain(typeof(CaseAllegation), CaseEventsEnvelope.AllKinds);
    }

    private sealed class TakesRoutingAndAcknowledgement : MassTransit.IConsumer<CaseRouted>, MassTransit.IConsumer<CaseAcknowledged>, MassTransit.IConsumer<ComplaintReceived>
    {
        public Task Consume(MassTransit.ConsumeContext<CaseRouted> context) => Task.CompletedTask;

        public Task Consume(MassTransit.ConsumeContext<CaseAcknowledged> context) => Task.CompletedTask;

        public Task Consume(MassTransit.ConsumeContext<ComplaintReceived> context) => Task.CompletedTask;
    }
}
