using Accountability.Contracts.EarlyWarning;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

/// <summary>Who hears of an early warning about an officer (issue 16): his supervisors and internal-affairs command, never him nor a subject of a counted case.</summary>
[Collection(nameof(NotificationService))]
public sealed class EarlyWarningNotificationTests(NotificationService service)
{
    [Fact]
    public async Task An_early_warning_reaches_the_chain_and_internal_affairs_command_and_never_the_officer_or_a_subject_of_a_counted_case()
    {
        var caseId = Guid.NewGuid();
        var warning = new EarlyWarningRaised
        {
            WarningId = Guid.NewGuid(),
            OfficerBadge = "nt-reporting",
            OfficerPersonId = "nt-reporting",
            PolicyId = "complaints-12-months",
            PolicyVersion = 1,
            PolicyKind = "complaints",
            Reason = "3 complaints within 12 months reached the threshold of 3 (complaints-12-months v1).",
            OccurredAt = new DateTimeOffset(2026, 3, 3, 15, 0, 0, TimeSpan.Zero),
            WindowStart = new DateTimeOffset(2025, 3, 3, 15, 0, 0, TimeSpan.Zero),
            // His sergeant (nt-inward) is a subject of a counted case as well.
            Cases = [new EarlyWarningCase { CaseId = caseId, CaseNumber = "IA-2026-77777", AllegationIds = ["a-1"], SubjectOfficerBadges = ["nt-reporting", "nt-inward"] }],
            // As a faulty producer might name them: the subject sergeant, and the officer himself among internal-affairs command.
            SupervisorChain = ["nt-inward", "nt-chief"],
            InternalAffairsCommand = ["nt-super", "nt-reporting"],
            Actor = "system:escalation",
        };
        var messageId = Guid.NewGuid();
        await service.PublishAsync(warning, messageId);
        await service.WaitProcessedAsync(messageId);

        var sourceKey = $"early-warning:{warning.WarningId}";
        await Eventually.HoldsAsync(async () => await service.ScalarAsync<long>(
            "select count(*) from deliveries where source_key = @sourceKey and status = 'sent'", new { sourceKey }) == 2, "both deliveries are sent");
        var deliveries = await service.QueryAsync<(string Recipient, string Role, string Template)>(
            "select recipient_id, recipient_role, template from deliveries where source_key = @sourceKey order by recipient_id", new { sourceKey });
        Assert.Equal([("nt-chief", "supervisor", "early-warning"), ("nt-super", "internal-affairs", "early-warning")], deliveries);

        var mail = Assert.Single(service.Smtp.To("chief@nt.example"), m => m.Subject.Contains("Rae Reporting", StringComparison.Ordinal));
        Assert.Contains("badge nt-reporting", mail.Text);
        Assert.Contains("complaints-12-months v1", mail.Text);
        // The link to the console page where the decision is recorded, at this warning, under the console's own path.
        Assert.Contains($"https://console.nt.example/pd/supervisor/warnings#w-{warning.WarningId}", mail.Text);
        // The chain is not told which complaints name him.
        Assert.DoesNotContain("IA-2026-77777", mail.Text);
        Assert.DoesNotContain(caseId.ToString(), mail.Text);
        Assert.Single(service.Smtp.To("super@nt.example"), m => m.Subject.Contains("Rae Reporting", StringComparison.Ordinal));
        Assert.DoesNotContain(service.Smtp.To("inward@nt.example"), m => m.Subject.Contains("Rae Reporting", StringComparison.Ordinal));
        Assert.DoesNotContain(service.Smtp.To("reporting@nt.example"), m => m.Subject.Contains("Early warning", StringComparison.Ordinal));
    }
}

