using System.Net;
using Accountability.Contracts.Custody;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

[Collection(nameof(NotificationService))]
public sealed class PrivacyTests(NotificationService service)
{
    [Fact]
    public async Task A_complainants_contact_details_appear_in_no_log_event_table_or_api_answer()
    {
        var email = NotificationService.NewEmail("privacy");
        var complaint = NotificationService.Complaint(email, name: "Priya Privatsphere");
        var malformed = $"privacy {Guid.NewGuid():N} at nowhere";
        var unsendable = NotificationService.Complaint(malformed, name: "Ulrich Unsendable");
        await service.PublishAsync(complaint);
        await service.PublishAsync(unsendable);
        await service.PublishAsync(new CaseRouted
        {
            CaseId = complaint.CaseId, CaseVersion = NotificationService.Version(4), Actor = "system:router", Reason = "", OccurredAt = DateTimeOffset.UtcNow,
            UnitId = NotificationService.UnitId, ToOwnerKind = "person", ToOwnerId = "nt-owner",
        });
        await service.PublishAsync(ComplainantNotificationTests.Resolved(complaint.CaseId, NotificationService.Version(8), "nt-owner", "exonerated"));

        var resolution = await service.WaitForNotificationAsync(complaint.CaseId, "resolution", n => n.GetProperty("status").GetString() == "sent", "the resolution is sent");
        var receipt = await service.WaitForNotificationAsync(complaint.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent", "the receipt is sent");
        var failed = await service.WaitForNotificationAsync(unsendable.CaseId, "receipt", n => n.GetProperty("status").GetString() == "failed",
            "the receipt to a malformed address fails");
        Assert.Contains("malformed", failed.GetProperty("lastError").GetString());
        // The contact really was opened inside the service: the mail reached the address.
        foreach (var delivery in new[] { receipt, resolution })
            Assert.Equal(email, Assert.Single(Assert.Single(service.Smtp.ForDelivery(delivery.GetProperty("id").GetString()!)).Recipients));

        var secrets = new[] { email, malformed, "Priya Privatsphere", "Ulrich Unsendable" };
        var logs = service.Process.Output;
        Assert.Contains("dbug:", logs); // verbose logging was really on
        var apiAnswers = new List<string>();
        foreach (var caseId in new[] { complaint.CaseId, unsendable.CaseId })
            apiAnswers.Add((await service.NotificationsAsync(caseId)).GetRawText());
        using (var failedList = await service.SendAsync(HttpMethod.Get, "/api/notifications/failed", TestTokens.For("nt-admin", Roles.Admin)))
        {
            Assert.Equal(HttpStatusCode.OK, failedList.StatusCode);
            apiAnswers.Add(await failedList.Content.ReadAsStringAsync());
        }
        var tables = await service.QueryAsync<string>(
            """
            select body::text from outbox
            union all select parameters::text || coalesce(last_error, '') from deliveries
            union all select coalesce(detail, '') from delivery_attempts
            union all select tracking_code || coalesce(contact_ciphertext, '') from cases
            """);

        var spans = File.Exists(service.SpanFile) ? await File.ReadAllTextAsync(service.SpanFile) : "";
        Assert.Contains("accountability.case_id", spans); // spans of the deliveries were really recorded

        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, logs, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, spans, StringComparison.OrdinalIgnoreCase);
            Assert.All(apiAnswers, answer => Assert.DoesNotContain(secret, answer, StringComparison.OrdinalIgnoreCase));
            Assert.All(tables, row => Assert.DoesNotContain(secret, row, StringComparison.OrdinalIgnoreCase));
        }
        Assert.Contains(tables, row => row.Contains("NotificationSent", StringComparison.Ordinal) || row.Contains("\"deliveryId\"", StringComparison.Ordinal));
    }
}
