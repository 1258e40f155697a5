using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Escalation;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

[Collection(nameof(NotificationService))]
public sealed partial class ComplainantNotificationTests(NotificationService service)
{
    [Fact]
    public async Task A_complaint_filed_by_an_identified_complainant_produces_exactly_one_receipt_email_with_the_tracking_code()
    {
        var email = NotificationService.NewEmail("receipt");
        var complaint = NotificationService.Complaint(email);

        await service.PublishAsync(complaint);

        var sent = await service.WaitForNotificationAsync(complaint.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent", "the receipt is sent");
        Assert.Equal("complainant", sent.GetProperty("recipientRole").GetString());
        Assert.Equal("email", sent.GetProperty("channel").GetString());
        Assert.Equal(1, sent.GetProperty("attempts").GetInt32());
        // Other services on the same broker may route the case too, so the receipt is picked out by its subject.
        var mail = Assert.Single(service.Smtp.To(email), m => m.Subject.StartsWith("We have received", StringComparison.Ordinal));
        Assert.Same(mail, Assert.Single(service.Smtp.ForDelivery(sent.GetProperty("id").GetString()!)));
        Assert.Contains(complaint.TrackingCode, mail.Subject);
        Assert.Contains(complaint.TrackingCode, mail.Text);
        Assert.Contains(complaint.TrackingCode, mail.Html);
        Assert.Contains($"http://127.0.0.1:5101/api/public/status/{complaint.TrackingCode}", mail.Text);
        Assert.Contains("/api/public/opt-out/", mail.Text);
    }

    [Fact]
    public async Task An_anonymous_complaint_produces_no_email()
    {
        var anonymous = NotificationService.Complaint(email: null);
        var marker = NotificationService.Complaint(NotificationService.NewEmail("after-anonymous"));

        await service.PublishAsync(anonymous);
        await service.PublishAsync(marker);

        // The marker went through the same consumer after it, so the anonymous one has been handled too.
        await service.WaitForNotificationAsync(marker.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent", "the marker receipt is sent");
        await Eventually.HoldsAsync(async () => await service.ScalarAsync<bool>("select exists (select 1 from cases where case_id = @CaseId)", new { anonymous.CaseId }),
            "the anonymous complaint is recorded");
        Assert.Empty(service.Smtp.Containing(anonymous.TrackingCode));
        // News that raced ahead of the complaint itself was recorded, then skipped once it was known to be anonymous.
        Assert.All((await service.NotificationsAsync(anonymous.CaseId)).EnumerateArray().Where(n => n.GetProperty("recipientRole").GetString() == "complainant"),
            n => Assert.Equal("skipped", n.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Routing_news_of_a_complaint_known_to_be_anonymous_records_no_delivery_for_the_complainant()
    {
        var anonymous = NotificationService.Complaint(email: null);
        var filed = Guid.NewGuid();
        await service.PublishAsync(anonymous, filed);
        await service.WaitProcessedAsync(filed);

        var routed = Guid.NewGuid();
        await service.PublishAsync(NotificationService.RoutedToOwner(anonymous.CaseId), routed);
        await service.WaitProcessedAsync(routed);

        // Planning reads nothing per message; the statement that records the deliveries knows the case is anonymous.
        Assert.Equal(0, await service.ScalarAsync<long>(
            "select count(*) from deliveries where case_id = @CaseId and recipient_role = 'complainant'", new { anonymous.CaseId }));
        Assert.Equal(NotificationService.UnitId, await service.ScalarAsync<string>("select unit_id from cases where case_id = @CaseId", new { anonymous.CaseId }));
    }

    [Fact]
    public async Task Filings_planned_together_are_kept_by_one_statement_for_the_whole_group()
    {
        var complaints = Enumerable.Range(0, 20).Select(i => NotificationService.Complaint(NotificationService.NewEmail($"group-{i}"))).ToList();
        await Task.WhenAll(complaints.Select(c => service.PublishAsync(c)));
        var ids = complaints.Select(c => c.CaseId).ToArray();
        await Eventually.HoldsAsync(async () => await service.ScalarAsync<long>("select count(*) from cases where case_id = any(@ids)", new { ids }) == ids.Length,
            "every filing is kept");

        // Rows one transaction wrote share its xmin; rows one statement of it wrote share its command id, cmin.
        var transactions = (await service.QueryAsync<(string Transaction, long Rows, long Statements)>(
            "select xmin::text, count(*), count(distinct cmin::text) from cases where case_id = any(@ids) group by xmin::text", new { ids })).ToList();
        Assert.Contains(transactions, t => t.Rows > 1);
        Assert.All(transactions, t => Assert.Equal(1, t.Statements));
    }

    [Fact]
    public async Task The_same_event_delivered_twice_by_the_broker_sends_one_email()
    {
        var email = NotificationService.NewEmail("twice");
        var complaint = NotificationService.Complaint(email);
        var messageId = Guid.NewGuid();
        var republishedId = Guid.NewGuid();

        await service.PublishAsync(complaint, messageId);
        await service.PublishAsync(complaint, messageId);
        // The same event again under a new message id (a producer that re-sent it): the idempotency key still holds.
        await service.PublishAsync(complaint, republishedId);

        await service.WaitProcessedAsync(messageId);
        await service.WaitProcessedAsync(republishedId);
        var sent = await service.WaitForNotificationAsync(complaint.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent", "the receipt is sent");
        Assert.Single(service.Smtp.To(email), m => m.Subject.StartsWith("We have received", StringComparison.Ordinal));
        Assert.Single(service.Smtp.ForDelivery(sent.GetProperty("id").GetString()!));
        Assert.Single((await service.NotificationsAsync(complaint.CaseId)).EnumerateArray(), n => n.GetProperty("template").GetString() == "receipt");
    }

    [Fact]
    public async Task The_complainant_hears_of_routing_by_unit_name_and_never_by_a_person()
    {
        var email = NotificationService.NewEmail("routed");
        var complaint = NotificationService.Complaint(email);
        await service.PublishAsync(complaint);

        await service.PublishAsync(NotificationService.RoutedToOwner(complaint.CaseId));

        var mail = await Eventually.ReturnsAsync(
            () => Task.FromResult(service.Smtp.To(email).SingleOrDefault(m => m.Subject.Contains(NotificationService.UnitName, StringComparison.Ordinal))),
            m => m is not null, "the routing news names the unit");
        Assert.Contains(NotificationService.UnitName, mail!.Text);
        Assert.DoesNotContain("Olive Owner", mail.Raw);
        Assert.DoesNotContain("nt-owner", mail.Raw);
    }

    [Fact]
    public async Task Routing_news_that_overtakes_the_filing_waits_for_it_and_goes_out_at_the_first_attempt_once_the_filing_arrives()
    {
        var email = NotificationService.NewEmail("overtaken");
        var complaint = NotificationService.Complaint(email);
        await service.PublishAsync(NotificationService.RoutedToOwner(complaint.CaseId));
        await service.WaitForNotificationAsync(complaint.CaseId, "routed", n => n.GetProperty("status").GetString() == "pending", "the routing news is recorded");
        // Long enough for a dispatcher that took it at once to have tried it and found no case (its linger is 100 ms).
        await Task.Delay(TimeSpan.FromSeconds(2));

        await service.PublishAsync(complaint);

        // Within the fixture's wait, far less than the minute it would wait for a filing that never came.
        var routed = await service.WaitForNotificationAsync(complaint.CaseId, "routed", n => n.GetProperty("status").GetString() == "sent", "the routing news is sent");
        Assert.Equal(1, routed.GetProperty("attempts").GetInt32());
        Assert.Single(service.Smtp.To(email), m => m.Subject.Contains(NotificationService.UnitName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Routing_news_and_the_filing_that_arrive_together_send_the_routing_news_at_once()
    {
        // Planned in one transaction, routing's news first: its delivery is recorded at the transaction's end, after the
        // filing's insert, and must not wait the minute it would for a filing still on its way.
        var email = NotificationService.NewEmail("together");
        var complaint = NotificationService.Complaint(email);
        await Task.WhenAll(
            service.PublishAsync(NotificationService.RoutedToOwner(complaint.CaseId)),
            service.PublishAsync(complaint));

        var routed = await service.WaitForNotificationAsync(complaint.CaseId, "routed", n => n.GetProperty("status").GetString() == "sent",
            "the routing news is sent within the fixture's wait, not a minute later");
        Assert.Equal(1, routed.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task A_complainant_who_opted_out_still_hears_the_resolution_but_not_the_progress()
    {
        var email = NotificationService.NewEmail("opt-out");
        var complaint = NotificationService.Complaint(email);
        await service.PublishAsync(complaint);
        var receipt = await service.WaitForNotificationAsync(complaint.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent", "the receipt is sent");
        var optOutUrl = new Uri(OptOutLink().Match(Assert.Single(service.Smtp.ForDelivery(receipt.GetProperty("id").GetString()!)).Text).Value);

        using (var page = await service.Process.Client.GetAsync(optOutUrl.PathAndQuery))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<form method=\"post\"", await page.Content.ReadAsStringAsync());
        }
        using (var optOut = await service.Process.Client.PostAsync(optOutUrl.PathAndQuery, null))
            Assert.Equal(HttpStatusCode.OK, optOut.StatusCode);

        var contactedId = Guid.NewGuid();
        await service.PublishAsync(new ComplainantContacted
        {
            CaseId = complaint.CaseId, CaseVersion = NotificationService.Version(5), Actor = "nt-owner", Reason = "", OccurredAt = DateTimeOffset.UtcNow,
            OwnerKind = "person", OwnerId = "nt-owner",
        }, contactedId);
        await service.WaitProcessedAsync(contactedId);
        await service.PublishAsync(Resolved(complaint.CaseId, NotificationService.Version(6), "nt-owner", "sustained"));

        await service.WaitForNotificationAsync(complaint.CaseId, "resolution", n => n.GetProperty("status").GetString() == "sent", "the resolution is sent");
        var toComplainant = (await service.NotificationsAsync(complaint.CaseId)).EnumerateArray()
            .Where(n => n.GetProperty("recipientRole").GetString() == "complainant").Select(n => n.GetProperty("template").GetString()).ToList();
        Assert.Contains("resolution", toComplainant);
        Assert.DoesNotContain("contacted", toComplainant);
        Assert.DoesNotContain(service.Smtp.To(email), m => m.Subject.Contains("in touch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_resolution_carries_the_findings_and_a_question_that_opening_the_link_never_answers_answered_once_and_reported_per_unit()
    {
        var email = NotificationService.NewEmail("satisfaction");
        var complaint = NotificationService.Complaint(email);
        await service.PublishAsync(complaint);

        await service.PublishAsync(Resolved(complaint.CaseId, NotificationService.Version(7), "nt-satisfier", "not-sustained"));

        await service.WaitForNotificationAsync(complaint.CaseId, "resolution", n => n.GetProperty("status").GetString() == "sent", "the resolution is sent");
        var mail = Assert.Single(service.Smtp.To(email), m => m.Subject.Contains("outcome", StringComparison.Ordinal));
        Assert.Contains("not enough evidence", mail.Text);
        var question = new Uri(SatisfactionLink().Match(mail.Text).Value);
        Assert.Contains($"{question.AbsolutePath}?answer=4", mail.Html);

        // Issue 17, finding 11: opening the link (as a mail scanner does) recorded the answer. Now it asks, with 4 chosen.
        using (var opened = await service.Process.Client.GetAsync($"{question.AbsolutePath}?answer=4"))
        {
            Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
            var page = await opened.Content.ReadAsStringAsync();
            Assert.Contains("value=\"4\" checked", page);
            Assert.Contains("<form method=\"post\">", page);
            Assert.Equal("nosniff", opened.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", opened.Headers.GetValues("Referrer-Policy").Single());
            Assert.Contains("frame-ancestors 'none'", opened.Headers.GetValues("Content-Security-Policy").Single());
        }
        using (var opened = await service.Process.Client.GetAsync($"{question.AbsolutePath}?answer=4"))
            Assert.DoesNotContain("already answered", await opened.Content.ReadAsStringAsync());
        // The page's own form posts the field; that records it.
        using (var answer = await service.Process.Client.PostAsync(question.AbsolutePath, new FormUrlEncodedContent(new Dictionary<string, string> { ["answer"] = "4" })))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains("has been recorded", await answer.Content.ReadAsStringAsync());
        }
        using (var again = await service.Process.Client.PostAsync($"{question.AbsolutePath}?answer=1", null))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        }
        using (var outOfRange = await service.Process.Client.PostAsync($"{question.AbsolutePath}?answer=9", null))
            Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
        using (var guessed = await service.Process.Client.GetAsync("/api/public/satisfaction/not-a-real-token?answer=5"))
            Assert.Equal(HttpStatusCode.NotFound, guessed.StatusCode);

        using var report = await service.SendAsync(HttpMethod.Get, "/api/satisfaction", TestTokens.For("nt-super", Roles.Supervisor));
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        var unit = JsonDocument.Parse(await report.Content.ReadAsStringAsync()).RootElement.GetProperty("units").EnumerateArray()
            .Single(u => u.GetProperty("unitId").GetString() == NotificationService.SatisfactionUnitId);
        Assert.Equal(1, unit.GetProperty("answered").GetInt32());
        Assert.Equal(4.0, unit.GetProperty("averageAnswer").GetDouble());
        Assert.Equal(1, unit.GetProperty("answers").GetProperty("4").GetInt32());
        Assert.Equal(1, await service.ScalarAsync<long>(
            "select count(*) from outbox where message_type like 'Accountability.Contracts.Notification.SatisfactionRecorded,%' and body->>'caseId' = @id",
            new { id = complaint.CaseId.ToString() }));

        using var investigator = await service.SendAsync(HttpMethod.Get, "/api/satisfaction", TestTokens.For("nt-owner", Roles.Investigator));
        Assert.Equal(HttpStatusCode.Forbidden, investigator.StatusCode);
    }

    [Fact]
    public async Task A_breached_public_deadline_tells_the_complainant_of_the_delay_once()
    {
        var email = NotificationService.NewEmail("delay");
        var complaint = NotificationService.Complaint(email);
        await service.PublishAsync(complaint);

        foreach (var version in new[] { NotificationService.Version(1), NotificationService.Version(2) })
            await service.PublishAsync(Breach(complaint.CaseId, version, "nt-owner", SlaClocks.FirstContact));

        await service.WaitForNotificationAsync(complaint.CaseId, "delay", n => n.GetProperty("status").GetString() == "sent", "the delay news is sent");
        await service.WaitForNotificationAsync(complaint.CaseId, "breach", n => n.GetProperty("status").GetString() == "sent", "the supervisor hears of the breach");
        Assert.Single(service.Smtp.To(email), m => m.Subject.Contains("longer", StringComparison.Ordinal));
    }

    public static CaseResolved Resolved(Guid caseId, long version, string owner, string finding) => new()
    {
        CaseId = caseId, CaseVersion = version, Actor = owner, Reason = "", OccurredAt = DateTimeOffset.UtcNow,
        OwnerKind = "person", OwnerId = owner,
        Findings = [new AllegationFinding { AllegationId = Guid.NewGuid().ToString(), Finding = finding }],
    };

    public static SlaBreached Breach(Guid caseId, long version, string owner, string clock) => new()
    {
        CaseId = caseId, CaseVersion = version, Actor = "system:escalation", Reason = "The first-contact deadline passed.",
        OccurredAt = DateTimeOffset.UtcNow, Clock = clock, Percent = 100, DueAt = DateTimeOffset.UtcNow.AddMinutes(-1),
        OwnerKind = "person", OwnerId = owner, PolicyVersion = 1, Late = false, Lateness = TimeSpan.Zero,
    };

    [GeneratedRegex(@"http://\S+/api/public/opt-out/\S+")]
    private static partial Regex OptOutLink();

    [GeneratedRegex(@"http://\S+/api/public/satisfaction/[A-Za-z0-9_-]+")]
    private static partial Regex SatisfactionLink();
}
