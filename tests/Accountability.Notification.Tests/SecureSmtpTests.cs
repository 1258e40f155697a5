using Accountability.TestSupport;
using Accountability.TestSupport.Smtp;
using Dapper;
using Xunit;

namespace Accountability.Notification.Tests;

/// <summary>
/// E-mail through a real relay, Debian's aiosmtpd, that requires STARTTLS and AUTH and is trusted only
/// through its throwaway certificate. Each test runs a Notification process of its own (its own schema,
/// on the suite's virtual host, so it hears the complaints the suite publishes), pointed at that relay.
/// </summary>
[Collection(nameof(NotificationService))]
public sealed class SecureSmtpTests(NotificationService service)
{
    private const string UserName = "notification-relay-user";

    // A fresh secret each run: the logs are searched for it.
    private readonly string password = $"pw-{Guid.NewGuid():N}";

    [Fact]
    public async Task A_receipt_goes_over_STARTTLS_with_AUTH_as_text_and_HTML_with_its_UTF8_subject_encoded_and_List_Unsubscribe_and_the_password_is_never_logged()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.StartTls, UserName, password);
        var templates = TemplatesWithUnicodeSubject();
        await using var notification = await StartAsync(Secure(relay, password), templates);
        var email = NotificationService.NewEmail("secure");
        var complaint = NotificationService.Complaint(email, name: "Zoë Ångström");
        var second = NotificationService.Complaint(NotificationService.NewEmail("secure-second"));

        await service.PublishAsync(complaint);
        await service.PublishAsync(second);

        var receipt = await notification.WaitForReceiptAsync(complaint.CaseId, "sent", "the receipt is sent through the secure relay");
        await notification.WaitForReceiptAsync(second.CaseId, "sent", "the second receipt is sent too");
        var received = Assert.Single(relay.Accepted, r => r.Mail.Recipients.Contains(email));
        Assert.True(received.Tls, "the message arrived over TLS (STARTTLS)");
        Assert.True(received.Authenticated, "the message arrived on an authenticated session");
        var mail = received.Mail;
        Assert.Equal($"Eingangsbestätigung – we have received your complaint ({complaint.TrackingCode})", mail.Subject);
        var rawSubject = mail.Raw.Split("\r\n").First(line => line.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("=?utf-8?", rawSubject, StringComparison.OrdinalIgnoreCase); // RFC 2047, not raw 8-bit
        Assert.True(mail.Raw.All(c => c < 128), "every byte of the message is 7-bit");
        Assert.Contains("Content-Type: multipart/alternative", mail.Raw, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Content-Type: text/plain; charset=utf-8", mail.Raw, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Content-Type: text/html; charset=utf-8", mail.Raw, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Hello Zoë Ångström,", mail.Text);
        Assert.Contains(complaint.TrackingCode, mail.Text);
        Assert.Contains(complaint.TrackingCode, mail.Html);
        Assert.Contains("<", mail.Html);
        Assert.Matches(@"^<http://127\.0\.0\.1:5104/api/public/opt-out/[^>]+>$", mail.Headers["List-Unsubscribe"]);
        Assert.Equal("List-Unsubscribe=One-Click", mail.Headers["List-Unsubscribe-Post"]);
        Assert.Equal($"<{receipt.Id}@accountability-notification>", mail.Headers["Message-ID"]);
        Assert.Equal(receipt.Id.ToString(), mail.Headers["X-Accountability-Delivery"]);
        Assert.All(relay.Accepted, r => Assert.True(r.Tls && r.Authenticated, "nothing arrived in plain text or unauthenticated"));
        // One worker, one pooled connection: both receipts went over the same one.
        Assert.Single(relay.Accepted.Select(r => r.ClientPort).Distinct());

        Assert.Contains("dbug:", notification.Process.Output); // verbose logging was really on
        Assert.DoesNotContain(password, notification.Process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(email, notification.Process.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_message_the_relay_refuses_for_now_is_sent_on_a_later_attempt_with_the_same_Message_ID()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.StartTls, UserName, password, tempfailPrefix: "tempfail-");
        await using var notification = await StartAsync(Secure(relay, password));
        var email = NotificationService.NewEmail("tempfail-");
        var complaint = NotificationService.Complaint(email);

        await service.PublishAsync(complaint);

        var receipt = await notification.WaitForReceiptAsync(complaint.CaseId, "sent", "the receipt is sent after the relay's 451");
        var refused = Assert.Single(relay.Refused, r => r.Mail.Recipients.Contains(email));
        var accepted = Assert.Single(relay.Accepted, r => r.Mail.Recipients.Contains(email));
        Assert.Equal($"<{receipt.Id}@accountability-notification>", refused.Mail.Headers["Message-ID"]);
        Assert.Equal(refused.Mail.Headers["Message-ID"], accepted.Mail.Headers["Message-ID"]);
        var attempts = await notification.AttemptsAsync(receipt.Id);
        Assert.Equal(new[] { "retry", "sent" }, attempts.Select(a => a.Outcome));
        Assert.Contains("451", attempts[0].Detail);
        Assert.Contains("DATA", attempts[0].Detail);
    }

    [Fact]
    public async Task A_wrong_password_fails_the_delivery_with_a_reason_naming_authentication_and_sends_nothing()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.StartTls, UserName, password);
        var wrong = $"wrong-{Guid.NewGuid():N}";
        var (receipt, output) = await ReceiptFailsAsync(Secure(relay, wrong), "wrong-password");

        Assert.Contains("refused authentication (AUTH)", receipt.LastError);
        Assert.Contains("535", receipt.LastError);
        Assert.Equal(1, receipt.Attempts);
        Assert.Empty(relay.Accepted);
        Assert.DoesNotContain(wrong, output, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, receipt.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_relay_without_STARTTLS_is_refused_when_StartTls_is_required_and_gets_nothing_in_plain_text()
    {
        await using var plain = await SmtpTestServer.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["Notification__Smtp__Port"] = plain.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notification__Smtp__UserName"] = UserName,
            ["Notification__Smtp__Password"] = password,
        };
        // No Security setting at all: StartTls is the default.
        var (receipt, output) = await ReceiptFailsAsync(settings, "no-starttls");

        Assert.Contains("does not offer STARTTLS", receipt.LastError);
        Assert.Contains("nothing was sent", receipt.LastError);
        Assert.Empty(plain.Accepted);
        Assert.DoesNotContain(password, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_relay_whose_certificate_nothing_trusts_is_refused_and_gets_nothing()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.StartTls, UserName, password);
        var settings = Secure(relay, password);
        settings.Remove("Notification__Smtp__TrustedCertificatePath"); // the system's CA store only
        var (receipt, _) = await ReceiptFailsAsync(settings, "untrusted");

        Assert.Contains("not trusted by the system's CA store", receipt.LastError);
        Assert.Contains("nothing was sent", receipt.LastError);
        Assert.Empty(relay.Accepted);
    }

    [Fact]
    public async Task With_implicit_TLS_the_receipt_goes_over_TLS_from_the_first_byte_with_AUTH()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.ImplicitTls, UserName, password);
        var settings = Secure(relay, password);
        settings["Notification__Smtp__Security"] = "SslOnConnect";
        await using var notification = await StartAsync(settings);
        var email = NotificationService.NewEmail("implicit-tls");
        var complaint = NotificationService.Complaint(email);

        await service.PublishAsync(complaint);

        await notification.WaitForReceiptAsync(complaint.CaseId, "sent", "the receipt is sent over implicit TLS");
        var received = Assert.Single(relay.Accepted, r => r.Mail.Recipients.Contains(email));
        Assert.True(received.Tls, "the message arrived over TLS");
        Assert.True(received.Authenticated, "the message arrived on an authenticated session");
    }

    [Theory]
    [InlineData("GREETING", "connect")]
    [InlineData("DATA", "send")]
    public async Task A_relay_that_stops_answering_costs_one_attempt_of_the_timeout_and_the_retry_names_the_step(string stallAt, string step)
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.Plain, stallAt: stallAt);
        await using var notification = await StartAsync(new()
        {
            ["Notification__Smtp__Port"] = relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notification__Smtp__Security"] = "None",
            ["Notification__Smtp__Timeout"] = "00:00:02",
        });
        var complaint = NotificationService.Complaint(NotificationService.NewEmail($"stall-{stallAt.ToLowerInvariant()}"));

        await service.PublishAsync(complaint);

        var receipt = await notification.WaitForReceiptAttemptAsync(complaint.CaseId, $"a first attempt against a relay that stalls at {stallAt}");
        var first = (await notification.AttemptsAsync(receipt.Id))[0];
        Assert.Equal("retry", first.Outcome);
        // "did not finish the connect step within 2 s", or "stopped answering during the send step": either names it.
        Assert.Matches($@"\b{step} step\b", first.Detail);
        Assert.NotEqual("sent", receipt.Status);
        Assert.Empty(relay.Accepted);
    }

    [Fact]
    public async Task While_one_worker_waits_on_a_relay_that_stopped_answering_the_idle_workers_sleep_instead_of_claiming_again_and_again()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.Plain, stallAt: "DATA");
        var settings = Plain(relay, timeout: "00:00:15");
        settings["Notification__Delivery__Workers"] = "4";
        settings["Notification__Delivery__PollInterval"] = "00:00:02";
        await using var notification = await StartAsync(settings);
        var complaint = NotificationService.Complaint(NotificationService.NewEmail("idle-workers"));
        await service.PublishAsync(complaint);
        await notification.WaitForReceiptAsync(complaint.CaseId, "pending", "the receipt is recorded");
        // One worker has claimed the receipt and waits on the relay for 15 s; its claim leases the row all that time.
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var before = await notification.DeliveryScansAsync();
        await Task.Delay(TimeSpan.FromSeconds(5));
        // A backend reports its counts at most once a second: wait for the window's last ones.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var scans = await notification.DeliveryScansAsync() - before;

        var receipt = await notification.WaitForReceiptAsync(complaint.CaseId, "pending", "the receipt is still pending");
        Assert.Equal(0, receipt.Attempts); // the send was still waiting on the relay throughout
        // Three idle workers, each waking at most every 2 s for two statements (the claim, then when to look again), each of
        // which may scan more than one index: a few dozen in 6.5 s. A worker that claimed again whenever a claimed row was
        // due scanned it tens of thousands of times.
        Assert.True(scans <= 150, $"The deliveries table was scanned {scans} times while one held row waited on the relay.");
    }

    [Fact]
    public async Task While_a_relay_stalls_the_claimed_receipt_is_leased_and_no_database_transaction_waits_on_the_relay()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.Plain, stallAt: "DATA");
        var settings = Plain(relay, timeout: "00:00:15");
        settings["Notification__Delivery__Workers"] = "4";
        await using var notification = await StartAsync(settings);
        var complaint = NotificationService.Complaint(NotificationService.NewEmail("lease-no-transaction"));
        await service.PublishAsync(complaint);
        var claim = await notification.WaitForReceiptClaimAsync(complaint.CaseId, "the receipt is claimed");

        // The send waits on the relay for 15 s. Before, its worker held the row's lock in an open transaction all that time.
        var open = await notification.OpenTransactionsAsync();
        Assert.Empty(open);
        // The lease outlasts the attempt's deadline (3 x 15 s), so the three idle workers leave the row alone.
        Assert.True(claim.LeaseSeconds > 45, $"The claim's lease ends in {claim.LeaseSeconds:0.#} s.");
        var later = await notification.WaitForReceiptClaimAsync(complaint.CaseId, "the receipt is still claimed");
        Assert.Equal(claim.ClaimId, later.ClaimId);
        Assert.Equal(0, (await notification.WaitForReceiptAsync(complaint.CaseId, "pending", "the receipt is pending")).Attempts);
    }

    [Fact]
    public async Task A_service_stopped_in_the_middle_of_a_send_gives_the_delivery_back_and_the_next_instance_sends_it_once()
    {
        var midSend = await ClaimedMidSendAsync(timeout: "00:00:15", "stopped-mid-send");
        await using var stalling = midSend.Stalling;
        await using var first = midSend.First;
        var complaint = midSend.Complaint;

        await first.Process.StopAsync();

        // Given back unsent: due now, no claim, no attempt recorded.
        var receipt = await first.WaitForReceiptAsync(complaint.CaseId, "pending", "the receipt is pending");
        Assert.Equal(0, receipt.Attempts);
        var given = await first.ReceiptClaimAsync(complaint.CaseId);
        Assert.Null(given.ClaimId);
        Assert.True(given.LeaseSeconds <= 0, $"The receipt is due in {given.LeaseSeconds:0.#} s, not now.");
        Assert.Contains("given back unsent", first.Process.Output, StringComparison.Ordinal);

        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.Plain);
        await using var second = await StartAsync(Plain(relay, timeout: "00:00:15"), schema: first.Schema);
        var sent = await second.WaitForReceiptAsync(complaint.CaseId, "sent", "the second instance sends the receipt");
        Assert.Equal(new[] { "sent" }, (await second.AttemptsAsync(sent.Id)).Select(a => a.Outcome));
        Assert.Single(relay.ForDelivery(sent.Id.ToString()));
        Assert.Empty(stalling.Accepted);
    }

    [Fact]
    public async Task A_service_killed_in_the_middle_of_a_send_leaves_the_delivery_to_the_next_instance_once_its_lease_ends()
    {
        // Both channels' timeouts at 2 s: an attempt ends within 6 s, and its claim's lease within 8 s.
        var midSend = await ClaimedMidSendAsync(timeout: "00:00:02", "killed-mid-send");
        await using var stalling = midSend.Stalling;
        await using var first = midSend.First;
        var (complaint, claim) = (midSend.Complaint, midSend.Claim);

        await first.Process.KillAsync(); // nothing is given back

        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.Plain);
        await using var second = await StartAsync(Plain(relay, timeout: "00:00:02"), schema: first.Schema);
        var sent = await second.WaitForReceiptAsync(complaint.CaseId, "sent", "the second instance sends the receipt once the lease has ended");
        var attempts = await second.AttemptsAsync(sent.Id);
        Assert.Equal(new[] { "sent" }, attempts.Select(a => a.Outcome));
        // Nobody took the row while the dead instance's lease ran (both clocks are this machine's).
        Assert.True(attempts[0].StartedAt >= claim.LeaseEndsAt.AddMilliseconds(-100),
            $"The second instance began at {attempts[0].StartedAt:O}, before the lease ended at {claim.LeaseEndsAt:O}.");
        Assert.Single(relay.ForDelivery(sent.Id.ToString()));
    }

    [Fact]
    public async Task One_worker_sends_the_deliveries_it_claims_together_side_by_side_each_on_its_own_relay_connection()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.Plain);
        await relay.StopAsync();
        var settings = Plain(relay, timeout: "00:00:05");
        settings["Notification__Delivery__BatchSize"] = "4";
        settings["Notification__Delivery__MaxAttempts"] = "1";
        settings["Notification__Delivery__PollInterval"] = "00:00:01";
        await using var notification = await StartAsync(settings);
        var complaints = Enumerable.Range(0, 4).Select(i => NotificationService.Complaint(NotificationService.NewEmail($"batch-{i}"))).ToList();
        foreach (var complaint in complaints)
            await service.PublishAsync(complaint);
        // With the relay down and one attempt allowed, each receipt fails on its own.
        foreach (var complaint in complaints)
            await notification.WaitForReceiptAsync(complaint.CaseId, "failed", "the receipt fails while the relay is down");

        await relay.ResumeAsync();
        // Due again all at once and without a wake-up (the re-drive endpoint would wake the worker at the first), so the
        // worker's next look claims all four together.
        await notification.RedriveFailedQuietlyAsync();
        foreach (var complaint in complaints)
            await notification.WaitForReceiptAsync(complaint.CaseId, "sent", "the receipt is sent after the re-drive");

        // Sent at once: each send rented a connection before any was handed back to the pool.
        Assert.Equal(4, relay.Accepted.Count);
        Assert.Equal(4, relay.Accepted.Select(r => r.ClientPort).Distinct().Count());
    }

    [Fact]
    public async Task The_next_claims_sends_go_out_on_the_connections_the_last_claim_left_open()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.Plain);
        var settings = Plain(relay, timeout: "00:00:05");
        settings["Notification__Delivery__BatchSize"] = "4";
        // Woken by the first receipt planned, the worker waits a second for the rest, so each round is one claim of four.
        settings["Notification__Delivery__Linger"] = "00:00:01";
        await using var notification = await StartAsync(settings);

        foreach (var round in new[] { "first", "second" })
        {
            var complaints = Enumerable.Range(0, 4).Select(i => NotificationService.Complaint(NotificationService.NewEmail($"reuse-{round}-{i}"))).ToList();
            foreach (var complaint in complaints)
                await service.PublishAsync(complaint);
            foreach (var complaint in complaints)
                await notification.WaitForReceiptAsync(complaint.CaseId, "sent", $"the {round} round's receipt is sent");
        }

        Assert.Equal(8, relay.Accepted.Count);
        // One worker claiming four at a time has at most four sends in flight. The pool used to keep one connection per
        // worker, so the second claim opened three new ones: seven in all.
        var connections = relay.Accepted.Select(r => r.ClientPort).Distinct().Count();
        Assert.True(connections <= 4, $"eight messages in claims of four went over {connections} connections; at most four are ever needed");
    }

    /// <summary>A first instance, whose only relay stalls at DATA, in the middle of sending a new complaint's receipt.</summary>
    private async Task<(SmtpTestServer Stalling, IsolatedNotification First, Contracts.Intake.ComplaintReceived Complaint, Claim Claim)> ClaimedMidSendAsync(
        string timeout, string name)
    {
        var stalling = await SmtpTestServer.StartAsync(RelaySecurity.Plain, stallAt: "DATA");
        var first = await StartAsync(Plain(stalling, timeout));
        var complaint = NotificationService.Complaint(NotificationService.NewEmail(name));
        await service.PublishAsync(complaint);
        var claim = await first.WaitForReceiptClaimAsync(complaint.CaseId, "the first instance has claimed the receipt");
        return (stalling, first, complaint, claim);
    }

    private static Dictionary<string, string> Plain(SmtpTestServer relay, string timeout) => new()
    {
        ["Notification__Smtp__Port"] = relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Notification__Smtp__Security"] = "None",
        ["Notification__Smtp__Timeout"] = timeout,
        ["Notification__Webhooks__Timeout"] = timeout,
    };

    [Fact]
    public async Task After_the_relay_restarts_the_next_message_goes_out_on_a_new_connection_without_a_failed_attempt()
    {
        await using var relay = await SmtpTestServer.StartAsync(RelaySecurity.StartTls, UserName, password);
        await using var notification = await StartAsync(Secure(relay, password));
        var before = NotificationService.Complaint(NotificationService.NewEmail("before-restart"));
        await service.PublishAsync(before);
        await notification.WaitForReceiptAsync(before.CaseId, "sent", "the first receipt is sent and its connection pooled");

        await relay.StopAsync();
        await relay.ResumeAsync();
        // Past the pool's idle check (5 s), so the dead connection is found by its NOOP, not by a failed message.
        await Task.Delay(TimeSpan.FromSeconds(6));
        var after = NotificationService.Complaint(NotificationService.NewEmail("after-restart"));
        await service.PublishAsync(after);

        var receipt = await notification.WaitForReceiptAsync(after.CaseId, "sent", "the second receipt is sent after the restart");
        Assert.Equal(new[] { "sent" }, (await notification.AttemptsAsync(receipt.Id)).Select(a => a.Outcome));
        var ports = relay.Accepted.Select(r => r.ClientPort).ToList();
        Assert.Equal(2, ports.Count);
        Assert.NotEqual(ports[0], ports[1]);
        Assert.All(relay.Accepted, r => Assert.True(r.Tls && r.Authenticated, "the new connection is secured and authenticated again"));
    }

    [Theory]
    [InlineData("Plain", false, "Notification:Smtp:Security must be StartTls (the default), SslOnConnect or None, not 'Plain'")]
    [InlineData("2", false, "Notification:Smtp:Security must be StartTls (the default), SslOnConnect or None, not '2'")]
    [InlineData("None", true, "the password would cross the network in plain text")]
    public async Task An_unknown_security_setting_or_a_password_that_would_travel_without_TLS_is_refused_at_start_up(string security, bool withPassword, string refusal)
    {
        var settings = service.Settings();
        settings["Notification__Smtp__Security"] = security;
        if (withPassword)
        {
            settings["Notification__Smtp__UserName"] = UserName;
            settings["Notification__Smtp__Password"] = password;
        }

        await using var process = await ServiceProcess.StartAsync("Notification", settings, waitUntilReady: false);

        await Eventually.HoldsAsync(() => process.HasExited, "the service refuses to start");
        await Eventually.HoldsAsync(() => process.Output.Contains(refusal, StringComparison.Ordinal), "the refusal says which setting and why");
        Assert.DoesNotContain(password, process.Output, StringComparison.Ordinal);
    }

    /// <summary>Publishes a complaint to a process with these SMTP settings and waits for its receipt to fail.</summary>
    private async Task<(Delivery Receipt, string Output)> ReceiptFailsAsync(Dictionary<string, string> smtp, string label)
    {
        await using var notification = await StartAsync(smtp);
        var complaint = NotificationService.Complaint(NotificationService.NewEmail(label));

        await service.PublishAsync(complaint);

        var receipt = await notification.WaitForReceiptAsync(complaint.CaseId, "failed", $"the receipt fails ({label})");
        return (receipt, notification.Process.Output);
    }

    private static Dictionary<string, string> Secure(SmtpTestServer relay, string passwordToUse) => new()
    {
        ["Notification__Smtp__Port"] = relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Notification__Smtp__UserName"] = UserName,
        ["Notification__Smtp__Password"] = passwordToUse,
        ["Notification__Smtp__TrustedCertificatePath"] = relay.CertificatePath!,
    };

    /// <summary>The real templates, with a receipt subject that needs more than ASCII.</summary>
    private static string TemplatesWithUnicodeSubject()
    {
        var templates = Path.Combine(Path.GetTempPath(), $"notification-templates-{Guid.NewGuid():N}");
        Directory.CreateDirectory(templates);
        foreach (var file in Directory.GetFiles(RepositoryPaths.File("services", "Notification", "Templates")))
            File.Copy(file, Path.Combine(templates, Path.GetFileName(file)));
        var receipt = Path.Combine(templates, "receipt.txt");
        var lines = File.ReadAllLines(receipt);
        lines[0] = "Subject: Eingangsbestätigung – we have received your complaint ({{trackingCode}})";
        File.WriteAllLines(receipt, lines);
        return templates;
    }

    /// <summary>
    /// A Notification process of its own, on the suite's virtual host but in its own schema. Security is
    /// left unset (the default, StartTls) unless <paramref name="smtp"/> says otherwise.
    /// </summary>
    private async Task<IsolatedNotification> StartAsync(Dictionary<string, string> smtp, string? templates = null, string? schema = null)
    {
        var settings = service.Settings(templates);
        settings.Remove("Notification__Smtp__Security");
        // A second instance on an earlier one's schema stands for that one restarted.
        schema ??= $"notification_s{Guid.NewGuid():N}"[..30];
        settings["Notification__Schema"] = schema;
        settings["Telemetry__SpanFile"] = Path.Combine(Path.GetTempPath(), $"notification-spans-{Guid.NewGuid():N}.jsonl");
        // One delivery at a time, so that a test sees one pooled connection carry message after message.
        settings["Notification__Delivery__Workers"] = "1";
        settings["Notification__Delivery__BatchSize"] = "1";
        foreach (var (name, value) in smtp)
            settings[name] = value;
        return new IsolatedNotification(await ServiceProcess.StartAsync("Notification", settings), schema, templates, settings["Telemetry__SpanFile"]);
    }

    private sealed record Delivery(Guid Id, string Status, int Attempts, string? LastError);

    private sealed record Attempt(string Outcome, string? Detail, DateTime StartedAt);

    /// <summary>A delivery's claim: whose it is (null when none), and when its next attempt is due, as an instant and from now.</summary>
    private sealed record Claim(Guid? ClaimId, DateTime LeaseEndsAt, double LeaseSeconds);

    private sealed class IsolatedNotification(ServiceProcess process, string schema, string? templates, string spanFile) : IAsyncDisposable
    {
        public ServiceProcess Process => process;

        public string Schema => schema;

        public async Task<Claim> ReceiptClaimAsync(Guid caseId)
        {
            await using var connection = await TestDatabase.OpenAsync(schema);
            return await connection.QuerySingleAsync<Claim>(
                """
                select claim_id as ClaimId, next_attempt_at as LeaseEndsAt, extract(epoch from next_attempt_at - now())::float8 as LeaseSeconds
                from deliveries where case_id = @caseId and template = 'receipt'
                """, new { caseId });
        }

        public Task<Claim> WaitForReceiptClaimAsync(Guid caseId, string description) =>
            Eventually.ReturnsAsync(async () =>
            {
                await using var connection = await TestDatabase.OpenAsync(schema);
                return await connection.QuerySingleOrDefaultAsync<Claim>(
                    """
                    select claim_id as ClaimId, next_attempt_at as LeaseEndsAt, extract(epoch from next_attempt_at - now())::float8 as LeaseSeconds
                    from deliveries where case_id = @caseId and template = 'receipt'
                    """, new { caseId });
            }, c => c?.ClaimId is not null, description)!;

        /// <summary>Makes every failed delivery due again, as the re-drive endpoint does, but without waking the dispatcher.</summary>
        public async Task RedriveFailedQuietlyAsync()
        {
            await using var connection = await TestDatabase.OpenAsync(schema);
            await connection.ExecuteAsync(
                "update deliveries set status = 'pending', round_attempts = 0, next_attempt_at = now(), failed_at = null where status = 'failed'");
        }

        /// <summary>This instance's database sessions that are inside a transaction and not running a statement.</summary>
        public async Task<IReadOnlyList<string>> OpenTransactionsAsync()
        {
            await using var connection = await TestDatabase.OpenAsync(schema);
            return [.. await connection.QueryAsync<string>(
                "select state || ': ' || query from pg_stat_activity where application_name = @name and state like 'idle in transaction%'",
                new { name = $"accountability-{schema}" })];
        }

        public Task<Delivery> WaitForReceiptAsync(Guid caseId, string status, string description) =>
            Eventually.ReturnsAsync(async () =>
            {
                await using var connection = await TestDatabase.OpenAsync(schema);
                return await connection.QuerySingleOrDefaultAsync<Delivery>(
                    "select id as Id, status as Status, attempts as Attempts, last_error as LastError from deliveries where case_id = @caseId and template = 'receipt'",
                    new { caseId });
            }, d => d?.Status == status, description)!;

        /// <summary>The receipt once at least one attempt has been made, whatever its outcome.</summary>
        public Task<Delivery> WaitForReceiptAttemptAsync(Guid caseId, string description) =>
            Eventually.ReturnsAsync(async () =>
            {
                await using var connection = await TestDatabase.OpenAsync(schema);
                return await connection.QuerySingleOrDefaultAsync<Delivery>(
                    "select id as Id, status as Status, attempts as Attempts, last_error as LastError from deliveries where case_id = @caseId and template = 'receipt'",
                    new { caseId });
            }, d => d is { Attempts: >= 1 }, description)!;

        /// <summary>Scans of this schema's deliveries table so far, as PostgreSQL counts them (each claim scans it).</summary>
        public async Task<long> DeliveryScansAsync()
        {
            await using var connection = await TestDatabase.OpenAsync(schema);
            return await connection.ExecuteScalarAsync<long>(
                "select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_user_tables where schemaname = @schema and relname = 'deliveries'",
                new { schema });
        }

        public async Task<IReadOnlyList<Attempt>> AttemptsAsync(Guid deliveryId)
        {
            await using var connection = await TestDatabase.OpenAsync(schema);
            return [.. await connection.QueryAsync<Attempt>(
                "select outcome as Outcome, detail as Detail, started_at as StartedAt from delivery_attempts where delivery_id = @deliveryId order by attempt", new { deliveryId })];
        }

        public async ValueTask DisposeAsync()
        {
            await process.DisposeAsync();
            await using (var connection = await TestDatabase.OpenAsync())
                await connection.ExecuteAsync($"drop schema if exists \"{schema}\" cascade");
            if (templates is not null)
                Directory.Delete(templates, recursive: true);
            File.Delete(spanFile);
        }
    }
}
