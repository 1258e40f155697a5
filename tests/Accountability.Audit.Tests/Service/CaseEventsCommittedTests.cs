using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>Assignment publishes a transaction's events in one message; the trail must read exactly as if each had come alone.</summary>
[Collection(nameof(SharedAuditTrail))]
public sealed class CaseEventsCommittedTests(SharedAuditTrail trail)
{
    private AuditTrailHost Host => trail.Host;

    private static string Trace() => $"00-{Guid.NewGuid():N}-{Guid.NewGuid():N}"[..52] + "-01";

    private static object[] Routing(Guid caseId)
    {
        var at = DateTimeOffset.UtcNow;
        return
        [
            new CaseOpened
            {
                CaseId = caseId, CaseVersion = 1, Actor = "system:assignment", Reason = "", OccurredAt = at,
                SubjectOfficerBadges = ["B-4411"], Category = "force", District = "2",
                Allegations = [new CaseAllegation { Id = Guid.NewGuid().ToString(), Type = "force", OfficerBadge = "B-4411" }],
            },
            Transfer(caseId, 2, null, "u-intake-desk", "received", at),
            new CaseRouted
            {
                CaseId = caseId, CaseVersion = 3, Actor = "system:routing", Reason = "force in district 2", OccurredAt = at,
                UnitId = "u-ia", ToOwnerKind = "person", ToOwnerId = "p-1014",
            },
            Transfer(caseId, 4, "u-intake-desk", "p-1014", "routed", at),
        ];
    }

    private static CustodyTransferred Transfer(Guid caseId, long version, string? from, string to, string kind, DateTimeOffset at) => new()
    {
        CaseId = caseId, CaseVersion = version, Actor = "system:routing", Reason = "", OccurredAt = at,
        FromOwnerKind = from is null ? null : from.StartsWith("u-", StringComparison.Ordinal) ? "unit" : "person", FromOwnerId = from,
        ToOwnerKind = to.StartsWith("u-", StringComparison.Ordinal) ? "unit" : "person", ToOwnerId = to, TransferKind = kind,
    };

    private static CaseEventsCommitted Envelope(IReadOnlyList<object> events) => CaseEventsEnvelope.Of(((dynamic)events[0]).CaseId, events);

    [Fact]
    public async Task A_transactions_events_in_one_message_are_each_recorded_as_the_event_it_stands_for_with_its_own_id_in_its_case_chain()
    {
        var caseId = Guid.NewGuid();
        var events = Routing(caseId);
        var envelope = Envelope(events);
        var (envelopeId, trace) = (Guid.NewGuid(), Trace());

        await Host.SendAsync(envelope, envelopeId, traceParent: trace);
        await Host.WaitForCaseRecordsAsync(caseId, 4);

        await using var connection = await Host.OpenOwnerAsync();
        var records = (await connection.QueryAsync<(Guid EventId, long CaseSeq, string Type, string Source, string Body, string TraceParent)>(
            "select event_id, case_seq, type, source, body::text, traceparent from audit_events where case_id = @caseId order by global_seq",
            new { caseId })).ToList();
        Assert.Equal(envelope.Events.Select(e => e.EventId), records.Select(r => r.EventId));
        Assert.Equal(["CaseOpened", "CustodyTransferred", "CaseRouted", "CustodyTransferred"], records.Select(r => r.Type));
        Assert.All(records, r => Assert.Equal("assignment", r.Source));
        Assert.Equal([1L, 2L, 3L, 4L], records.Select(r => r.CaseSeq));
        // Each joins the trace the envelope was published in: its producer's, the one transaction's.
        Assert.All(records, r => Assert.Equal(trace, r.TraceParent));
        // The body is the event alone, as it would have been published by itself.
        var routed = JsonDocument.Parse(records[2].Body).RootElement;
        Assert.Equal(("u-ia", "p-1014", 3L), (routed.GetProperty("unitId").GetString(), routed.GetProperty("toOwnerId").GetString(), routed.GetProperty("caseVersion").GetInt64()));
        Assert.False(routed.TryGetProperty("eventId", out _));

        var verified = await Host.GetJsonAsync($"/api/audit/cases/{caseId}/verify");
        Assert.True(verified.GetProperty("valid").GetBoolean(), verified.ToString());
    }

    [Fact]
    public async Task Each_event_is_claimed_under_its_own_id_so_an_envelope_delivered_again_records_nothing_twice()
    {
        var caseId = Guid.NewGuid();
        var envelope = Envelope(Routing(caseId));
        // The trail keys each event by its own id, not the envelope's: one the trail holds already, however it came, is
        // not recorded again, and the envelope's other events are.
        var first = envelope.Events[0];
        await Host.SendAsync(first.Event.Deserialize<CaseOpened>(Messaging.Outbox.OutboxMessage.Json)!, first.EventId);
        await Host.WaitForCaseRecordsAsync(caseId, 1);

        await Host.SendAsync(envelope);
        await Host.WaitForCaseRecordsAsync(caseId, 4);
        // A lost ack: the same envelope again, then a marker sent after it, so the repeat had its turn.
        await Host.SendAsync(envelope);
        var marker = Guid.NewGuid();
        await Host.SendAsync(Envelope(Routing(marker)));
        await Host.WaitForCaseRecordsAsync(marker, 4);

        Assert.Equal(4, await Host.CountAsync("case_id = @caseId", new { caseId }));
        await using var connection = await Host.OpenOwnerAsync();
        Assert.Equal(envelope.Events.Select(e => e.EventId), await connection.QueryAsync<Guid>(
            "select event_id from audit_events where case_id = @caseId order by case_seq", new { caseId }));
    }

    [Theory]
    [InlineData("an event without an id")]
    [InlineData("an event named twice")]
    [InlineData("a kind that is not a custody event")]
    [InlineData("a body that is not its kind")]
    public async Task An_envelope_that_cannot_be_read_is_refused_whole_to_the_error_queue_and_nothing_of_it_is_recorded(string flaw)
    {
        var caseId = Guid.NewGuid();
        var envelope = Envelope(Routing(caseId));
        var events = envelope.Events.ToList();
        events[1] = flaw switch
        {
            "an event without an id" => events[1] with { EventId = Guid.Empty },
            "an event named twice" => events[1] with { EventId = events[0].EventId },
            "a kind that is not a custody event" => events[1] with { Kind = "ComplaintReceived" },
            _ => events[1] with { Event = JsonSerializer.SerializeToElement(new { caseId, caseVersion = "two" }) },
        };
        var errorsBefore = await Host.ErrorQueueDepthAsync();

        await Host.SendAsync(envelope with { Events = events });
        var after = Guid.NewGuid();
        await Host.SendAsync(Envelope(Routing(after)));
        await Host.WaitForCaseRecordsAsync(after, 4);
        await Eventually.HoldsAsync(async () => await Host.ErrorQueueDepthAsync() > errorsBefore, $"the envelope with {flaw} waits in the trail's error queue");

        Assert.Equal(0, await Host.CountAsync("case_id = @caseId", new { caseId }));
    }
}
