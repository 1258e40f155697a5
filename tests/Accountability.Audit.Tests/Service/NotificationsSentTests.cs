using System.Text.Json;
using Accountability.Contracts.Notification;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>Notification announces a claim's mails in one message; the trail must read exactly as if each had been announced alone.</summary>
[Collection(nameof(SharedAuditTrail))]
public sealed class NotificationsSentTests(SharedAuditTrail trail)
{
    private AuditTrailHost Host => trail.Host;

    private static AnnouncedNotification Mail(Guid caseId, string template, string role, string? person, string traceParent) => new()
    {
        EventId = Guid.CreateVersion7(),
        Sent = new NotificationSent
        {
            DeliveryId = Guid.NewGuid(),
            CaseId = caseId,
            RecipientRole = role,
            RecipientPersonId = person,
            Channel = "email",
            Template = template,
            Attempts = 1,
            SentAt = DateTimeOffset.UtcNow,
        },
        TraceParent = traceParent,
    };

    private static string Trace() => $"00-{Guid.NewGuid():N}-{Guid.NewGuid():N}"[..52] + "-01";

    [Fact]
    public async Task Mails_announced_together_are_each_recorded_as_a_NotificationSent_in_its_own_case_chain_with_its_own_id_and_trace()
    {
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        var mails = new[]
        {
            Mail(first, "receipt", "complainant", null, Trace()),
            Mail(second, "receipt", "complainant", null, Trace()),
            Mail(first, "assignment", "owner", "p-1014", Trace()),
        };
        var envelopeId = Guid.NewGuid();

        await Host.SendAsync(new NotificationsSent { Notifications = mails }, envelopeId, traceParent: Trace());
        await Host.WaitForCaseRecordsAsync(first, 2);
        await Host.WaitForCaseRecordsAsync(second, 1);

        await using var connection = await Host.OpenOwnerAsync();
        var records = (await connection.QueryAsync<(Guid EventId, Guid CaseId, long CaseSeq, string Type, string Source, string Body, string TraceParent)>(
            "select event_id, case_id, case_seq, type, source, body::text, traceparent from audit_events where case_id = any(@cases) order by global_seq",
            new { cases = new[] { first, second } })).ToList();
        Assert.Equal(mails.Select(m => m.EventId), records.Select(r => r.EventId));
        Assert.All(records, r => Assert.Equal(("NotificationSent", "notification"), (r.Type, r.Source)));
        Assert.Equal([1L, 1L, 2L], records.Select(r => r.CaseSeq));
        Assert.Equal(mails.Select(m => m.TraceParent), records.Select(r => r.TraceParent));
        foreach (var (mail, record) in mails.Zip(records))
        {
            // The body is the NotificationSent alone: what a mail announced by itself would have left.
            var body = JsonDocument.Parse(record.Body).RootElement;
            Assert.Equal(mail.Sent.DeliveryId, body.GetProperty("deliveryId").GetGuid());
            Assert.Equal(mail.Sent.Template, body.GetProperty("template").GetString());
            Assert.False(body.TryGetProperty("eventId", out _));
            Assert.False(body.TryGetProperty("traceParent", out _));
        }

        // Delivered again (a lost ack), the message is claimed once: nothing is recorded twice.
        await Host.SendAsync(new NotificationsSent { Notifications = mails }, envelopeId);
        var marker = Guid.NewGuid();
        await Host.SendAsync(new NotificationsSent { Notifications = [Mail(marker, "receipt", "complainant", null, Trace())] });
        await Host.WaitForCaseRecordsAsync(marker, 1);
        Assert.Equal(3, await Host.CountAsync("case_id = any(@cases)", new { cases = new[] { first, second } }));

        // And each case's chain verifies alone.
        foreach (var caseId in new[] { first, second })
        {
            var verified = await Host.GetJsonAsync($"/api/audit/cases/{caseId}/verify");
            Assert.True(verified.GetProperty("valid").GetBoolean(), verified.ToString());
            Assert.Equal("intact", verified.GetProperty("caseChain").GetString());
        }
    }

    [Fact]
    public async Task Mails_announced_together_without_their_own_ids_are_refused_whole_and_nothing_of_them_is_recorded()
    {
        var caseId = Guid.NewGuid();
        var nameless = Mail(caseId, "receipt", "complainant", null, Trace()) with { EventId = Guid.Empty };

        await Host.SendAsync(new NotificationsSent { Notifications = [Mail(caseId, "assignment", "owner", "p-1014", Trace()), nameless] });
        // A message sent after it is recorded, so the refused one had its turn.
        var after = Guid.NewGuid();
        await Host.SendAsync(new NotificationsSent { Notifications = [Mail(after, "receipt", "complainant", null, Trace())] });
        await Host.WaitForCaseRecordsAsync(after, 1);
        await Eventually.HoldsAsync(async () => await Host.ErrorQueueDepthAsync() > 0, "the refused message waits in the trail's error queue");

        Assert.Equal(0, await Host.CountAsync("case_id = @caseId", new { caseId }));
    }
}
