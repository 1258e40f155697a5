using System.Net;
using System.Text;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Escalation;
using Accountability.Notification.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

[Collection(nameof(NotificationService))]
public sealed class StaffNotificationTests(NotificationService service)
{
    [Fact]
    public async Task The_broker_brings_custody_moves_of_every_kind_but_the_intake_desks_first_and_routing()
    {
        // The receipt tells the complainant and nobody else needs the first interval: it is never delivered here. Routing's
        // news comes with CaseRouted, so the routed transfer that follows it is not delivered either.
        Assert.Equal(["", "escalated", "handoff", "reassigned", "reopened"],
            await IsolatedVirtualHost.BindingKeysAsync(service.VirtualHost.Name, Messaging.Bus.CustodyTransferRouting.ExchangeByKind, "custody-transferred"));
    }

    [Fact]
    public async Task An_escalation_emails_the_supervisor_once_though_two_events_announce_it()
    {
        var caseId = Guid.NewGuid();
        await service.PublishAsync(new EscalationRaised
        {
            CaseId = caseId, CaseVersion = NotificationService.Version(3), Actor = "system:escalation", Reason = "Not acknowledged within 24 hours.",
            OccurredAt = DateTimeOffset.UtcNow, Clock = SlaClocks.Acknowledge, Level = 1, OwnerKind = "person", OwnerId = "nt-owner",
            ToPersonId = "nt-super", Outcome = "custody-requested", Source = "timer",
        });
        var transferId = Guid.NewGuid();
        await service.PublishAsync(new CustodyTransferred
        {
            CaseId = caseId, CaseVersion = NotificationService.Version(9), Actor = "system:escalation", Reason = "Not acknowledged within 24 hours.",
            OccurredAt = DateTimeOffset.UtcNow, FromOwnerKind = "person", FromOwnerId = "nt-owner", ToOwnerKind = "person", ToOwnerId = "nt-super",
            TransferKind = "escalated", EscalationLevel = 1,
        }, transferId);

        var sent = await service.WaitForNotificationAsync(caseId, "escalation", n => n.GetProperty("status").GetString() == "sent", "the escalation is sent");
        await service.WaitProcessedAsync(transferId);
        Assert.Equal("supervisor", sent.GetProperty("recipientRole").GetString());
        Assert.Equal("nt-super", sent.GetProperty("recipientPersonId").GetString());
        var mail = Assert.Single(service.Smtp.To("super@nt.example"), m => m.Subject.Contains(caseId.ToString(), StringComparison.Ordinal));
        Assert.Contains("Olive Owner", mail.Text);
        Assert.Contains("Not acknowledged within 24 hours.", mail.Text);
        Assert.Single((await service.NotificationsAsync(caseId)).EnumerateArray(), n => n.GetProperty("template").GetString() == "escalation");
    }

    [Fact]
    public async Task A_webhook_delivery_carries_a_signature_that_verifies_with_the_shared_secret()
    {
        var caseId = Guid.NewGuid();
        await service.PublishAsync(new HandoffRequested
        {
            CaseId = caseId, CaseVersion = NotificationService.Version(5), Actor = "nt-owner", Reason = "Speaks the complainant's language", OccurredAt = DateTimeOffset.UtcNow,
            HandoffId = Guid.NewGuid(), FromOwnerKind = "person", FromOwnerId = "nt-owner", ToOwnerKind = "person", ToOwnerId = "nt-hooked",
        });

        var sent = await service.WaitForNotificationAsync(caseId, "handoff-request", n => n.GetProperty("status").GetString() == "sent", "the handoff request is sent");
        Assert.Equal("webhook", sent.GetProperty("channel").GetString());
        var request = Assert.Single(service.Webhooks.Requests, r => r.DeliveryId == sent.GetProperty("id").GetString());
        Assert.Equal("accepted", request.Verdict);
        Assert.Equal("/hooks/nt-hooked", request.Path);
        Assert.Matches("^t=[0-9]+,v1=[0-9a-f]{64}$", request.Signature!);
        Assert.Equal(caseId.ToString(), request.Json.GetProperty("caseId").GetString());
        Assert.Equal("handoff-request", request.Json.GetProperty("template").GetString());
        Assert.Contains("Olive Owner", request.Json.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_tampered_or_replayed_webhook_is_detected_by_the_receiver()
    {
        var caseId = Guid.NewGuid();
        await service.PublishAsync(new HandoffRequested
        {
            CaseId = caseId, CaseVersion = NotificationService.Version(5), Actor = "nt-owner", Reason = "Workload", OccurredAt = DateTimeOffset.UtcNow,
            HandoffId = Guid.NewGuid(), FromOwnerKind = "person", FromOwnerId = "nt-owner", ToOwnerKind = "person", ToOwnerId = "nt-hooked",
        });
        var sent = await service.WaitForNotificationAsync(caseId, "handoff-request", n => n.GetProperty("status").GetString() == "sent", "the handoff request is sent");
        var original = Assert.Single(service.Webhooks.Requests, r => r.DeliveryId == sent.GetProperty("id").GetString());
        Assert.Equal("accepted", original.Verdict);

        // The same request again, byte for byte: a replay.
        Assert.Equal(HttpStatusCode.Conflict, await RepostAsync(original, original.Body, original.Signature!));
        // The body changed but the signature kept: tampering.
        Assert.Equal(HttpStatusCode.Unauthorized, await RepostAsync(original, original.Body.Replace("Workload", "Nothing to see", StringComparison.Ordinal), original.Signature!));
        // A signature made with another secret: forgery.
        var unix = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var forged = $"t={unix},v1={Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes("guess"), Encoding.UTF8.GetBytes($"{unix}.{original.Body}")))}";
        Assert.Equal(HttpStatusCode.Unauthorized, await RepostAsync(original, original.Body, forged));
        // The captured request replayed ten minutes later: its signed timestamp is too old.
        Assert.Equal("stale", service.Webhooks.Verify(original.Signature, original.DeliveryId, original.Body, DateTimeOffset.UtcNow.AddMinutes(10)));
    }

    [Fact]
    public async Task A_webhook_receiver_answering_500_is_retried_then_failed_then_redriven_successfully()
    {
        service.Webhooks.FailWith500("nt-flaky");
        try
        {
            var caseId = Guid.NewGuid();
            await service.PublishAsync(new CaseRouted
            {
                CaseId = caseId, CaseVersion = NotificationService.Version(3), Actor = "system:router", Reason = "Fewest open cases", OccurredAt = DateTimeOffset.UtcNow,
                UnitId = NotificationService.UnitId, ToOwnerKind = "person", ToOwnerId = "nt-flaky",
            });

            var failed = await service.WaitForNotificationAsync(caseId, "assignment", n => n.GetProperty("status").GetString() == "failed",
                "the assignment webhook gives up");
            var id = failed.GetProperty("id").GetString()!;
            Assert.Equal(NotificationService.MaxAttempts, failed.GetProperty("attempts").GetInt32());
            Assert.Contains("500", failed.GetProperty("lastError").GetString());
            Assert.Equal(NotificationService.MaxAttempts, service.Webhooks.Requests.Count(r => r.DeliveryId == id && r.Status == 500));
            // The delivery log spans every case: case workers never read it (issue 17, finding 9); operators do.
            using (var caseWorker = await service.SendAsync(HttpMethod.Get, "/api/notifications/failed", TestTokens.For("nt-super", Roles.Supervisor)))
                Assert.Equal(HttpStatusCode.Forbidden, caseWorker.StatusCode);
            using (var caseWorkerList = await service.SendAsync(HttpMethod.Get, $"/api/notifications?caseId={caseId}", TestTokens.For("nt-owner", Roles.Investigator)))
                Assert.Equal(HttpStatusCode.Forbidden, caseWorkerList.StatusCode);
            var supervisor = TestTokens.For("nt-admin", Roles.Admin);
            using (var list = await service.SendAsync(HttpMethod.Get, "/api/notifications/failed", supervisor))
                Assert.Contains(id, await list.Content.ReadAsStringAsync());
            Assert.Equal(1, await service.ScalarAsync<long>(
                "select count(*) from outbox where message_type like 'Accountability.Contracts.Notification.NotificationFailed,%' and body->>'deliveryId' = @id", new { id }));

            service.Webhooks.Heal("nt-flaky");
            using (var retry = await service.SendAsync(HttpMethod.Post, $"/api/notifications/{id}/retry", supervisor))
                Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);

            var sent = await service.WaitForNotificationAsync(caseId, "assignment", n => n.GetProperty("status").GetString() == "sent", "the re-driven webhook is sent");
            Assert.Equal(NotificationService.MaxAttempts + 1, sent.GetProperty("attempts").GetInt32());
            Assert.Single(service.Webhooks.Requests, r => r.DeliveryId == id && r.Verdict == "accepted");
            Assert.Equal(NotificationService.MaxAttempts + 1, await service.ScalarAsync<long>(
                "select count(*) from delivery_attempts where delivery_id = @id::uuid", new { id }));
            using (var again = await service.SendAsync(HttpMethod.Post, $"/api/notifications/{id}/retry", supervisor))
                Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }
        finally
        {
            service.Webhooks.Heal("nt-flaky");
        }
    }

    [Fact]
    public async Task Routing_tells_the_new_owner_once_under_the_key_of_the_routed_transfer_that_follows_it()
    {
        var complaint = NotificationService.Complaint(NotificationService.NewEmail("owner-news")) with { CaseNumber = "IA-2026-05151" };
        await service.PublishAsync(complaint);
        var routedId = Guid.NewGuid();
        await service.PublishAsync(NotificationService.RoutedToOwner(complaint.CaseId), routedId);

        var sent = await service.WaitForNotificationAsync(complaint.CaseId, "assignment", n => n.GetProperty("status").GetString() == "sent", "the new owner hears");
        Assert.Equal("nt-owner", sent.GetProperty("recipientPersonId").GetString());
        Assert.Equal("owner", sent.GetProperty("recipientRole").GetString());
        // The key is the routed transfer's (the next version), so that transfer, delivered by a broker that kept an older
        // binding, plans nothing new.
        Assert.Equal($"case:{complaint.CaseId}:v{NotificationService.Version(5)}",
            await service.ScalarAsync<string>("select source_key from deliveries where id = @id::uuid", new { id = sent.GetProperty("id").GetString() }));
        var mail = Assert.Single(service.Smtp.To("owner@nt.example"), m => m.Subject.Contains("IA-2026-05151", StringComparison.Ordinal));
        Assert.Contains("routed to you", mail.Text);
        Assert.Contains("force → internal affairs", mail.Text);
    }

    [Fact]
    public async Task Staff_emails_name_the_case_by_its_number_and_link_to_its_page()
    {
        var complaint = NotificationService.Complaint(NotificationService.NewEmail("numbered")) with { CaseNumber = "IA-2026-04242" };
        await service.PublishAsync(complaint);
        await service.WaitForNotificationAsync(complaint.CaseId, "receipt", n => n.GetProperty("status").GetString() == "sent", "the receipt is sent");
        await service.PublishAsync(new CustodyTransferred
        {
            CaseId = complaint.CaseId, CaseVersion = NotificationService.Version(4), Actor = "nt-super", Reason = "",
            OccurredAt = DateTimeOffset.UtcNow, FromOwnerKind = "person", FromOwnerId = "nt-owner", ToOwnerKind = "person", ToOwnerId = "nt-lonely",
            TransferKind = "reassigned",
        });

        await service.WaitForNotificationAsync(complaint.CaseId, "assignment", n => n.GetProperty("status").GetString() == "sent", "the new owner hears");
        var mail = Assert.Single(service.Smtp.To("lonely@nt.example"), m => m.Subject.Contains("IA-2026-04242", StringComparison.Ordinal));
        Assert.DoesNotContain(complaint.CaseId.ToString(), mail.Subject);
        Assert.Contains($"/cases/{complaint.CaseId}", mail.Text);
        Assert.DoesNotContain("Reason given:", mail.Text); // no reason was given, so no empty line claims one
    }

    [Theory]
    [InlineData("declined")]
    [InlineData("expired")]
    public async Task A_handoff_a_dispatcher_asked_for_that_ends_without_the_receiver_tells_the_dispatcher_and_the_owner_by_email_once(string outcome)
    {
        var caseId = Guid.NewGuid();
        var handoffId = Guid.NewGuid();
        // Published by its own type: MassTransit routes by the compile-time type.
        Task PublishOutcomeAsync(Guid? messageId) => outcome == "declined"
            ? service.PublishAsync(new HandoffDeclined
            {
                CaseId = caseId, CaseVersion = NotificationService.Version(7), Actor = "nt-lonely", Reason = "On leave from Monday", OccurredAt = DateTimeOffset.UtcNow,
                HandoffId = handoffId, FromOwnerKind = "person", FromOwnerId = "nt-owner", ToOwnerKind = "person", ToOwnerId = "nt-lonely",
                RequestedBy = "nt-dispatcher",
            }, messageId)
            : service.PublishAsync(new HandoffExpired
            {
                CaseId = caseId, CaseVersion = NotificationService.Version(7), Actor = "system:escalation", Reason = "", OccurredAt = DateTimeOffset.UtcNow,
                HandoffId = handoffId, FromOwnerKind = "person", FromOwnerId = "nt-owner", ToOwnerKind = "person", ToOwnerId = "nt-lonely",
                RequestedBy = "nt-dispatcher",
            }, messageId);
        await PublishOutcomeAsync(null);
        // The same event delivered again under a new message id: still one message each.
        var duplicate = Guid.NewGuid();
        await PublishOutcomeAsync(duplicate);

        var toDispatcher = await service.WaitForNotificationAsync(caseId, "handoff-outcome",
            n => n.GetProperty("recipientPersonId").GetString() == "nt-dispatcher" && n.GetProperty("status").GetString() == "sent", "the dispatcher hears");
        await service.WaitForNotificationAsync(caseId, "handoff-outcome",
            n => n.GetProperty("recipientPersonId").GetString() == "nt-owner" && n.GetProperty("status").GetString() == "sent", "the owner hears");
        await service.WaitProcessedAsync(duplicate);

        Assert.Equal("requester", toDispatcher.GetProperty("recipientRole").GetString());
        var mail = Assert.Single(service.Smtp.To("dispatch@nt.example"), m => m.Subject.Contains(caseId.ToString(), StringComparison.Ordinal));
        Assert.Contains(outcome, mail.Subject);
        Assert.Contains($"to Lee Lonely, asked for by you, was {outcome}. The case stays with Olive Owner.", mail.Text);
        Assert.Contains($"/cases/{caseId}", mail.Text);
        var ownerMail = Assert.Single(service.Smtp.To("owner@nt.example"), m => m.Subject.Contains(caseId.ToString(), StringComparison.Ordinal));
        Assert.Contains($"asked for by Dee Dispatcher, was {outcome}.", ownerMail.Text);
        if (outcome == "declined")
            Assert.Contains("On leave from Monday", mail.Text);
        else
            Assert.DoesNotContain("Reason given:", mail.Text);
        Assert.Equal(2, (await service.NotificationsAsync(caseId)).EnumerateArray().Count(n => n.GetProperty("template").GetString() == "handoff-outcome"));
    }

    [Fact]
    public async Task A_webhook_aimed_at_an_internal_address_is_refused_before_connecting_and_reported_once()
    {
        // Issue 17, finding 11: an admin could point webhooks at the broker's management API or any internal address.
        var complaint = NotificationService.Complaint(NotificationService.NewEmail("inward"));
        await service.PublishAsync(complaint);
        await service.PublishAsync(ComplainantNotificationTests.Breach(complaint.CaseId, NotificationService.Version(1), "nt-reporting", SlaClocks.Resolution));

        var webhook = await service.WaitForNotificationAsync(complaint.CaseId, "breach",
            n => n.GetProperty("channel").GetString() == "webhook" && n.GetProperty("status").GetString() == "failed", "the inward webhook is refused");
        Assert.Equal("nt-inward", webhook.GetProperty("recipientPersonId").GetString());
        Assert.Contains("internal address (169.254.169.254)", webhook.GetProperty("lastError").GetString());
        Assert.Equal(1, webhook.GetProperty("attempts").GetInt32()); // the address will not change by waiting
        // The supervisor still hears by e-mail.
        await service.WaitForNotificationAsync(complaint.CaseId, "breach",
            n => n.GetProperty("channel").GetString() == "email" && n.GetProperty("recipientPersonId").GetString() == "nt-inward" && n.GetProperty("status").GetString() == "sent",
            "the e-mail to the same supervisor is sent");
    }

    [Fact]
    public async Task A_malformed_address_in_the_directory_is_reported_and_the_other_recipients_still_hear()
    {
        var email = NotificationService.NewEmail("beside-broken");
        var complaint = NotificationService.Complaint(email);
        await service.PublishAsync(complaint);

        // nt-lonely's supervisor is nt-broken, whose e-mail address and webhook URL are both malformed.
        await service.PublishAsync(ComplainantNotificationTests.Breach(complaint.CaseId, NotificationService.Version(1), "nt-lonely", SlaClocks.Resolution));

        await service.WaitForNotificationAsync(complaint.CaseId, "delay", n => n.GetProperty("status").GetString() == "sent", "the complainant hears of the delay");
        var brokenEmail = await service.WaitForNotificationAsync(complaint.CaseId, "breach",
            n => n.GetProperty("channel").GetString() == "email" && n.GetProperty("status").GetString() == "failed", "the broken e-mail is reported");
        var webhook = await service.WaitForNotificationAsync(complaint.CaseId, "breach",
            n => n.GetProperty("channel").GetString() == "webhook" && n.GetProperty("status").GetString() == "failed", "the broken webhook is reported");
        Assert.Equal("nt-broken", brokenEmail.GetProperty("recipientPersonId").GetString());
        Assert.Contains("malformed e-mail address", brokenEmail.GetProperty("lastError").GetString());
        Assert.Contains("malformed webhook URL", webhook.GetProperty("lastError").GetString());
        Assert.Equal(1, brokenEmail.GetProperty("attempts").GetInt32()); // no point retrying a broken address
        Assert.Single(service.Smtp.To(email), m => m.Subject.Contains("longer", StringComparison.Ordinal));
        Assert.Contains("person nt-broken has a malformed e-mail address", service.Process.Output);
        Assert.Contains("person nt-broken has a malformed webhook URL", service.Process.Output);
    }

    [Fact]
    public async Task A_person_may_choose_their_channels_and_only_they_or_an_admin_may()
    {
        using (var stranger = await service.SendAsync(HttpMethod.Put, "/api/preferences/nt-lonely", TestTokens.For("nt-owner", Roles.Investigator), new { channels = new[] { "email" } }))
            Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
        using (var unknown = await service.SendAsync(HttpMethod.Put, "/api/preferences/nt-lonely", TestTokens.For("nt-lonely", Roles.Investigator), new { channels = new[] { "pigeon" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
            Assert.Contains("channels", await unknown.Content.ReadAsStringAsync());
        }
        using (var own = await service.SendAsync(HttpMethod.Put, "/api/preferences/nt-lonely", TestTokens.For("nt-lonely", Roles.Investigator), new { channels = new[] { "email" } }))
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using (var admin = await service.SendAsync(HttpMethod.Put, "/api/preferences/nt-lonely", TestTokens.For("nt-admin", Roles.Admin), new { channels = new[] { "email", "webhook" } }))
            Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal(["email", "webhook"], (await service.ScalarAsync<string[]>("select channels from person_preferences where person_id = 'nt-lonely'"))!);
    }

    [Fact]
    public async Task A_preferred_channel_chooses_among_the_addresses_a_person_has_and_one_they_have_no_address_for_silences_nothing()
    {
        // nt-choosy has an e-mail address and a webhook; nt-wishful an e-mail address only. Both ask for webhooks.
        foreach (var person in new[] { "nt-choosy", "nt-wishful" })
            using (var chosen = await service.SendAsync(HttpMethod.Put, $"/api/preferences/{person}", TestTokens.For(person, Roles.Investigator), new { channels = new[] { "webhook" } }))
                Assert.Equal(HttpStatusCode.OK, chosen.StatusCode);

        var toChoosy = Guid.NewGuid();
        var toWishful = Guid.NewGuid();
        foreach (var (caseId, person) in new[] { (toChoosy, "nt-choosy"), (toWishful, "nt-wishful") })
            await service.PublishAsync(new HandoffRequested
            {
                CaseId = caseId, CaseVersion = NotificationService.Version(5), Actor = "nt-owner", Reason = "Knows the district", OccurredAt = DateTimeOffset.UtcNow,
                HandoffId = Guid.NewGuid(), FromOwnerKind = "person", FromOwnerId = "nt-owner", ToOwnerKind = "person", ToOwnerId = person,
            });

        // A planning transaction records its deliveries together, so once one is there, all of them are.
        var choosy = await service.WaitForNotificationAsync(toChoosy, "handoff-request", _ => true, "nt-choosy is told of the handoff");
        Assert.Equal("webhook", Assert.Single((await service.NotificationsAsync(toChoosy)).EnumerateArray()).GetProperty("channel").GetString());
        Assert.Equal("nt-choosy", choosy.GetProperty("recipientPersonId").GetString());
        var wishful = await service.WaitForNotificationAsync(toWishful, "handoff-request", _ => true, "nt-wishful is told of the handoff");
        Assert.Equal("email", Assert.Single((await service.NotificationsAsync(toWishful)).EnumerateArray()).GetProperty("channel").GetString());
        Assert.Equal("nt-wishful", wishful.GetProperty("recipientPersonId").GetString());
    }

    private async Task<HttpStatusCode> RepostAsync(WebhookRequest original, string body, string signature)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(service.Webhooks.BaseAddress, original.Path))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Accountability-Signature", signature);
        request.Headers.Add("X-Accountability-Delivery", original.DeliveryId);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
