using System.Reflection;
using Accountability.Audit.Features.Recording;
using Xunit;

namespace Accountability.Audit.Tests.Rules;

public sealed class AuditedMessagesTests
{
    /// <summary>
    /// An independent reading of "message": any public contract type that says when something
    /// happened (a DateTimeOffset property) or which case it concerns (CaseId). If a new contract
    /// fits that and the trail does not record it, this fails.
    /// </summary>
    [Fact]
    public void Every_message_in_the_contracts_is_audited()
    {
        var types = AuditedMessages.ContractsAssembly.GetExportedTypes();
        // A record carried inside another contract (EarlyWarningCase in EarlyWarningRaised) is a part, not a message.
        var parts = types.SelectMany(t => t.GetProperties()).Select(p => p.PropertyType)
            .SelectMany(t => t.IsGenericType ? t.GetGenericArguments() : [t]).ToHashSet();
        var messages = types
            .Where(t => t.IsClass && !t.IsAbstract && !parts.Contains(t))
            .Where(t => t.GetProperties().Any(p => p.Name == "CaseId" || p.PropertyType == typeof(DateTimeOffset)))
            // The trail's own signed heads go to witnesses, not into the trail (AuditedMessages.NotRecordedArea).
            .Where(t => t != typeof(Accountability.Contracts.Witness.TrailCheckpointSigned))
            // An envelope is recorded as the events it holds, each a message here in its own right.
            .Where(t => !AuditedMessages.Envelopes.Contains(t))
            .ToList();
        var audited = AuditedMessages.All.Select(a => a.Type).ToHashSet();

        Assert.NotEmpty(messages);
        Assert.All(messages, m => Assert.True(audited.Contains(m), $"{m.FullName} is a message but the audit trail does not consume it."));
        Assert.Contains(audited, t => t.Name == "ComplaintReceived");
        Assert.Contains(audited, t => t.Name == "CustodyTransferred");
        Assert.Contains(audited, t => t.Name == "EscalateCase");
    }

    [Fact]
    public void Parts_of_messages_are_not_audited_as_messages()
    {
        var names = AuditedMessages.All.Select(a => a.Name).ToHashSet();

        Assert.DoesNotContain("AllegationFinding", names);
        Assert.DoesNotContain("OrgPerson", names);
        Assert.DoesNotContain("SealedContact", names);
        Assert.DoesNotContain("EarlyWarningCase", names);
    }

    [Fact]
    public void Envelopes_of_notifications_and_of_custody_events_are_recorded_as_the_messages_they_hold_never_as_records_of_their_own()
    {
        var names = AuditedMessages.All.Select(a => a.Name).ToHashSet();

        // NotificationSent is held inside the envelope's items, and is still a message of its own.
        Assert.Contains("NotificationSent", names);
        Assert.DoesNotContain("NotificationsSent", names);
        Assert.DoesNotContain("AnnouncedNotification", names);
        Assert.Contains(typeof(Contracts.Notification.NotificationsSent), AuditedMessages.Envelopes);
        // Assignment's envelope likewise: the custody events it holds are messages; it and its items are not.
        Assert.Contains("CaseRouted", names);
        Assert.DoesNotContain("CaseEventsCommitted", names);
        Assert.DoesNotContain("CommittedCaseEvent", names);
        Assert.Contains(typeof(Contracts.Custody.CaseEventsCommitted), AuditedMessages.Envelopes);
    }

    [Fact]
    public void The_instant_of_a_complaint_is_when_it_was_received_not_when_the_incident_happened()
    {
        var received = AuditedMessages.All.Single(a => a.Name == "ComplaintReceived");

        Assert.Equal("ReceivedAt", received.OccurredAt.Name);
        Assert.Equal("intake", received.Source);
        Assert.Equal("escalation", AuditedMessages.All.Single(a => a.Name == "EscalateCase").Source);
    }

    [Fact]
    public void Early_warnings_about_officers_are_recorded_as_escalation_said_them_in_the_global_chain_only()
    {
        foreach (var name in new[] { "EarlyWarningRaised", "EarlyWarningAcknowledged" })
        {
            var audited = AuditedMessages.All.Single(a => a.Name == name);
            Assert.Equal("escalation", audited.Source);
            Assert.Equal("OccurredAt", audited.OccurredAt.Name);
            // A warning is about an officer, not a step in one case's life.
            Assert.Null(audited.CaseId);
        }
    }

    [Fact]
    public void Every_audited_message_says_when_it_happened()
    {
        Assert.All(AuditedMessages.All, a => Assert.Equal(typeof(DateTimeOffset), a.OccurredAt.PropertyType));
        Assert.Equal(AuditedMessages.All.Count, AuditedMessages.Discover(Assembly.GetAssembly(typeof(Contracts.Custody.CaseOpened))!).Count);
    }
}
