using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

[Collection(nameof(NotificationService))]
public sealed class ResilienceTests(NotificationService service)
{
    [Fact]
    public async Task With_the_SMTP_server_down_for_a_while_the_messages_go_out_once_each_when_it_returns()
    {
        var first = NotificationService.Complaint(NotificationService.NewEmail("outage-1"));
        var second = NotificationService.Complaint(NotificationService.NewEmail("outage-2"));
        await service.Smtp.StopAsync();
        try
        {
            await service.PublishAsync(first);
            await service.PublishAsync(second);
            foreach (var complaint in new[] { first, second })
                await service.WaitForNotificationAsync(complaint.CaseId, "receipt",
                    n => n.GetProperty("status").GetString() == "pending" && n.GetProperty("attempts").GetInt32() >= 2,
                    "the receipt has failed to go out at least twice");
            Assert.DoesNotContain(service.Smtp.Containing(first.TrackingCode), m => m.Subject.StartsWith("We have received", StringComparison.Ordinal));
        }
        finally
        {
            await service.Smtp.ResumeAsync();
        }

        foreach (var complaint in new[] { first, second })
        {
            var sent = await service.WaitForNotificationAsync(complaint.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent",
                "the receipt goes out once the relay is back");
            Assert.True(sent.GetProperty("attempts").GetInt32() >= 3);
            Assert.Single(service.Smtp.ForDelivery(sent.GetProperty("id").GetString()!));
        }
        var firstId = Guid.Parse((await service.NotificationsAsync(first.CaseId))[0].GetProperty("id").GetString()!);
        var outcomes = await service.QueryAsync<string>("select outcome from delivery_attempts where delivery_id = @firstId order by attempt", new { firstId });
        Assert.Equal("sent", outcomes[^1]);
        Assert.All(outcomes.SkipLast(1), outcome => Assert.Equal("retry", outcome));
    }

    [Fact]
    public async Task A_restarted_service_does_not_send_a_second_copy()
    {
        var email = NotificationService.NewEmail("restart");
        var complaint = NotificationService.Complaint(email);
        var messageId = Guid.NewGuid();
        await service.PublishAsync(complaint, messageId);
        var sent = await service.WaitForNotificationAsync(complaint.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent", "the receipt is sent");

        // A second instance on the same schema and queues, as after a restart; the broker redelivers.
        await using var second = await ServiceProcess.StartAsync("Notification", service.Settings());
        await service.PublishAsync(complaint, messageId);
        await service.PublishAsync(complaint, Guid.NewGuid());
        var marker = NotificationService.Complaint(NotificationService.NewEmail("restart-marker"));
        await service.PublishAsync(marker);
        await service.WaitForNotificationAsync(marker.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent", "the marker receipt is sent");

        Assert.Single(service.Smtp.ForDelivery(sent.GetProperty("id").GetString()!));
        Assert.Single(service.Smtp.To(email), m => m.Subject.StartsWith("We have received", StringComparison.Ordinal));
    }
}
