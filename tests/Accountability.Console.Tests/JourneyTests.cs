using System.Text.RegularExpressions;
using Accountability.Console.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

/// <summary>
/// What each person does from start to finish, in a real browser against the six real processes (issue 12).
/// Each journey is run as the person who makes it, through the pages they would use.
/// </summary>
[Collection(nameof(ConsoleSystem))]
public sealed class JourneyTests(ConsoleSystem system)
{
    [Fact]
    public async Task A_member_of_the_public_on_a_phone_files_with_a_date_and_an_officer_they_can_only_describe_then_follows_it_to_the_outcome()
    {
        var email = $"pat-{Guid.NewGuid():N}@example.org";
        var page = await system.OpenAsync(phone: true);
        await page.GotoAsync("/public/complaint");

        // The category list starts with "Choose one"; sending without one says so next to the field, and the summary takes the focus.
        await Expect(page.GetByLabel("What is it about?")).ToHaveValueAsync("");
        await page.GetByLabel("What happened?").FillAsync("An officer pushed me against the bus shelter on Elm Street and laughed.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the complaint" }).ClickAsync();
        await Expect(page.GetByTestId("form-errors")).ToContainTextAsync("Please choose what the complaint is about.");
        await Expect(page.GetByTestId("form-errors")).ToBeFocusedAsync();

        // Issue 12, finding 2: a date and time made the public form answer 500.
        await page.GetByLabel("What is it about?").SelectOptionAsync("force");
        await page.GetByLabel("Which district?").SelectOptionAsync("2");
        await page.GetByLabel("When did it happen?").FillAsync("2026-11-20T14:05");
        await page.GetByLabel("Where?").FillAsync("Elm Street bus shelter");
        await page.GetByLabel("Name, or what they looked like").FillAsync("tall, grey moustache, car 41");
        await page.GetByLabel("Your name").FillAsync("Pat Rivera");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the complaint" }).ClickAsync();

        // The receipt repeats what was filed and says when to expect contact.
        var code = (await page.GetByTestId("tracking-code").InnerTextAsync()).Trim();
        var summary = page.GetByTestId("receipt-summary");
        await Expect(summary).ToContainTextAsync("Force");
        await Expect(summary).ToContainTextAsync("20 November 2026 at 14:05");
        await Expect(summary).ToContainTextAsync("Elm Street bus shelter");
        await Expect(summary).ToContainTextAsync("tall, grey moustache, car 41");
        await Expect(page.GetByTestId("next-step")).ToContainTextAsync("within 2 working days");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "The receipt is wider than a phone's screen.");
        await ConsoleSystem.ScreenshotAsync(page, "public-receipt");

        // The e-mail greets them by name.
        var receipt = await system.Smtp.WaitForAsync(m => m.IsFor(email) && m.Text.Contains(code, StringComparison.Ordinal), "the receipt e-mail", ServiceHttp.FlowTimeout);
        Assert.Contains("Hello Pat Rivera,", receipt.Text);

        // The status, in plain words and in local time.
        await page.GetByRole(AriaRole.Link, new() { Name = "See its status now" }).ClickAsync();
        await Expect(page.GetByTestId("public-status")).ToHaveTextAsync(new Regex("^(Received|Being looked into)"));
        await Expect(page.GetByTestId("status")).ToContainTextAsync(new Regex(@"\d{4} at \d{1,2}:\d{2} (AM|PM)"));
        await Expect(page.GetByTestId("status")).Not.ToContainTextAsync(new Regex(@"\d{2}:\d{2}:\d{2}Z|UTC"));

        // The investigator records a finding on the allegation against the described officer and resolves it.
        var caseId = await CaseOfTrackingCodeAsync(code);
        var owner = await system.RoutedOwnerAsync(caseId);
        var allegation = Assert.Single((await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token(owner, Roles.Investigator))).Ok()
            .GetProperty("allegations").EnumerateArray());
        Assert.Equal("tall, grey moustache, car 41", allegation.GetProperty("officerDescription").GetString());
        await system.ResolveAsync(caseId, owner, "sustained", "The officer was identified from the duty roster and disciplined.");

        // After resolution: the outcome in plain words, never a name, and whom to ask for a review.
        await Eventually.HoldsAsync(async () =>
        {
            await page.ReloadAsync();
            return (await page.GetByTestId("public-status").InnerTextAsync()).Trim() == "Resolved";
        }, "the public status page shows the case resolved", TimeSpan.FromSeconds(60));
        await Expect(page.GetByTestId("outcome")).ToContainTextAsync("Sustained");
        await Expect(page.GetByTestId("outcome-contact")).ToContainTextAsync("review");
        Assert.DoesNotContain(owner, await page.ContentAsync());
        await ConsoleSystem.ScreenshotAsync(page, "public-outcome");
    }

    [Fact]
    public async Task An_intake_clerk_lands_on_the_staff_form_and_files_a_phone_call_reading_back_the_case_number_and_tracking_code()
    {
        var clerk = await system.SignedInAsAsync("p-1007");
        await clerk.GotoAsync("/");
        await Expect(clerk).ToHaveURLAsync(new Regex("/intake/new$"));
        await Expect(clerk.GetByLabel("By phone")).ToBeCheckedAsync();
        await Expect(clerk.GetByLabel("What is it about?")).ToHaveValueAsync("");

        // Sent empty: each missing field is named in plain words, and the summary takes the focus.
        await clerk.GetByRole(AriaRole.Button, new() { Name = "File the complaint" }).ClickAsync();
        var errors = clerk.GetByTestId("form-errors");
        await Expect(errors).ToBeFocusedAsync();
        await Expect(errors).ToContainTextAsync("Please tell us what happened.");
        await Expect(errors).ToContainTextAsync("Please choose the district");

        await clerk.GetByLabel("What is it about?").SelectOptionAsync("discourtesy");
        await clerk.GetByLabel("Which district?").SelectOptionAsync("3");
        await clerk.GetByLabel("When did it happen?").FillAsync("2026-11-28T21:40");
        await clerk.GetByLabel("What happened?").FillAsync("Caller says the officer at the traffic stop swore at her and her children.");
        await clerk.GetByLabel("Badge number").FillAsync("1602");
        await clerk.GetByLabel("Name", new() { Exact = true }).FillAsync("Maria Okafor");
        await clerk.GetByRole(AriaRole.Textbox, new() { Name = "Phone" }).FillAsync("+15555550142");
        await clerk.GetByRole(AriaRole.Button, new() { Name = "File the complaint" }).ClickAsync();

        var receipt = clerk.GetByTestId("staff-receipt");
        await Expect(receipt.GetByTestId("case-number")).ToHaveTextAsync(new Regex(@"^IA-\d{4}-\d{5}$"));
        await Expect(receipt.GetByTestId("tracking-code")).Not.ToBeEmptyAsync();
        await Expect(clerk.GetByTestId("receipt-summary")).ToContainTextAsync("By phone");
        await Expect(clerk.GetByTestId("receipt-summary")).ToContainTextAsync("28 November 2026 at 21:40");
        await ConsoleSystem.ScreenshotAsync(clerk, "clerk-receipt");

        // Filed under the clerk's name, on the phone channel, and owned from that instant: routing gives it to an investigator.
        var caseId = Guid.Parse((await receipt.GetAttributeAsync("data-case-id"))!);
        Assert.StartsWith("p-", await system.RoutedOwnerAsync(caseId));
        var complaint = (await system.Intake.GetAsync($"/api/complaints/{caseId}", ConsoleSystem.Token("p-1011", Roles.Commander))).Ok();
        Assert.Equal("phone", complaint.GetProperty("channel").GetString());

        await clerk.GetByRole(AriaRole.Link, new() { Name = "Take another complaint" }).ClickAsync();
        await Expect(clerk.GetByLabel("What happened?")).ToBeEmptyAsync();
    }

    [Fact]
    public async Task A_dispatcher_hands_a_case_to_another_investigator_at_a_shift_change_and_custody_moves_only_when_the_receiver_accepts()
    {
        var caseId = await system.FileAsync("force", "4", "Officers kicked my door in at the wrong address.");
        var owner = await system.RoutedOwnerAsync(caseId);
        var receiver = new[] { "p-1018", "p-1019", "p-1020" }.First(p => p != owner);

        // Issue 12, finding 4: a dispatcher's handoff was refused.
        var dispatcher = await system.SignedInAsAsync("p-1009");
        await dispatcher.GotoAsync($"/cases/{caseId}");
        await dispatcher.GetByLabel("Hand off to").SelectOptionAsync($"person:{receiver}");
        await dispatcher.GetByLabel("Why", new() { Exact = true }).First.FillAsync("Shift change: the owner is off for three days");
        await dispatcher.GetByRole(AriaRole.Button, new() { Name = "Request handoff" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(dispatcher, "Handoff requested");
        // The owner keeps the case, and its clocks, until the receiver accepts.
        await Expect(dispatcher.GetByTestId("case-owner")).Not.ToContainTextAsync(await NameOfAsync(receiver));
        await Expect(dispatcher.Locator("body")).ToContainTextAsync("Handoff pending to");
        await ConsoleSystem.ScreenshotAsync(dispatcher, "dispatcher-handoff");

        // The board finds the case by its human number, and shows it.
        var number = (await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1009", Roles.Dispatcher))).Ok().GetProperty("caseNumber").GetString()!;
        await dispatcher.GotoAsync($"/board?number={number}");
        await Expect(dispatcher.Locator($"tr[data-case='{caseId}']").GetByTestId("case-number")).ToHaveTextAsync(number);
        // The board says who the case is waiting on; the owner column still names the owner, who keeps it meanwhile.
        await Expect(dispatcher.Locator($"tr[data-case='{caseId}']").GetByTestId("status")).ToContainTextAsync($"handoff pending to {await NameOfAsync(receiver)}");

        var inbox = await system.SignedInAsAsync(receiver);
        await inbox.GotoAsync("/inbox");
        var offer = inbox.Locator($"li.handoff[data-case='{caseId}']");
        await Expect(offer).ToContainTextAsync("Shift change");
        // The card says what the case is, so the receiver can decide.
        await Expect(offer).ToContainTextAsync(number);
        await Expect(offer.GetByTestId("handoff-category")).ToContainTextAsync("force");
        await offer.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(inbox, "Handoff accepted");

        // The custody chain credits the reason to the dispatcher who asked, not to the receiver (finding 7).
        await inbox.GotoAsync($"/cases/{caseId}");
        var handoff = inbox.GetByTestId("custody-chain").Locator("li").Last;
        await Expect(handoff).ToContainTextAsync("handoff");
        await Expect(handoff).ToContainTextAsync($"asked for by {await NameOfAsync("p-1009")}");
        await Expect(handoff).ToContainTextAsync("Shift change");
    }

    [Fact]
    public async Task A_dispatcher_starts_a_handoff_from_the_board_and_when_the_receiver_declines_the_board_says_so_and_the_owner_keeps_the_case()
    {
        var caseId = await system.FileAsync("force", "4", "An officer shouted at me at the bus station.");
        var owner = await system.RoutedOwnerAsync(caseId);
        var receiver = new[] { "p-1018", "p-1019", "p-1020" }.First(p => p != owner);
        var number = (await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1009", Roles.Dispatcher))).Ok().GetProperty("caseNumber").GetString()!;
        var ownerName = await NameOfAsync(owner);
        var receiverName = await NameOfAsync(receiver);

        // Issue 12: the dispatcher starts from the board, not from an address typed by hand.
        var dispatcher = await system.SignedInAsAsync("p-1009");
        await dispatcher.GotoAsync($"/board?number={number}");
        var row = dispatcher.Locator($"tr[data-case='{caseId}']");
        await row.GetByTestId("handoff-link").ClickAsync();
        await dispatcher.WaitForURLAsync(new Regex($"/cases/{caseId}#handoff$"));
        await dispatcher.GetByLabel("Hand off to").SelectOptionAsync($"person:{receiver}");
        await dispatcher.GetByLabel("Why", new() { Exact = true }).First.FillAsync("Shift change: the owner is on nights this week");
        await dispatcher.GetByRole(AriaRole.Button, new() { Name = "Request handoff" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(dispatcher, "Handoff requested");

        // While it is pending the row says to whom, and when the offer lapses (escalation starts its clock on the request).
        await Eventually.HoldsAsync(async () =>
        {
            await dispatcher.GotoAsync($"/board?number={number}");
            return await row.GetByTestId("handoff-expires").CountAsync() > 0;
        }, "the board shows when the offer expires", TimeSpan.FromSeconds(60));
        await Expect(row.GetByTestId("status")).ToContainTextAsync($"handoff pending to {receiverName}");
        await Expect(row.GetByTestId("handoff-expires")).ToContainTextAsync("offer expires");
        await Expect(row.GetByTestId("handoff-link")).ToHaveCountAsync(0); // one handoff at a time

        var inbox = await system.SignedInAsAsync(receiver);
        await inbox.GotoAsync("/inbox");
        var offer = inbox.Locator($"li.handoff[data-case='{caseId}']");
        await offer.GetByLabel("Reason for declining").FillAsync("On leave from Monday");
        await offer.GetByRole(AriaRole.Button, new() { Name = "Decline" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(inbox, "Handoff declined");

        // The dispatcher sees the outcome on the board, and the case never left its owner.
        await dispatcher.GotoAsync($"/board?number={number}");
        await Expect(row.GetByTestId("handoff-outcome")).ToContainTextAsync($"handoff to {receiverName} declined");
        await Expect(row.GetByTestId("owner")).ToContainTextAsync(ownerName);
        await Expect(row.GetByTestId("status")).Not.ToContainTextAsync("pending");
        await Expect(row.GetByTestId("handoff-link")).ToHaveCountAsync(1); // free to try someone else
        await ConsoleSystem.ScreenshotAsync(dispatcher, "dispatcher-handoff-declined");
        Assert.Equal(owner, (await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1009", Roles.Dispatcher))).Ok()
            .GetProperty("owner").GetProperty("id").GetString());

        // The case page says the same, with the receiver's reason.
        await row.GetByTestId("case-number").ClickAsync();
        var outcome = dispatcher.GetByTestId("handoff-outcome");
        await Expect(outcome).ToContainTextAsync($"The handoff to {receiverName}");
        await Expect(outcome).ToContainTextAsync($"asked for by {await NameOfAsync("p-1009")}, was declined on");
        await Expect(outcome).ToContainTextAsync("On leave from Monday");
        await Expect(outcome).ToContainTextAsync($"The case stays with {ownerName}");
    }

    [Fact]
    public async Task A_live_update_arriving_while_the_receiver_types_a_reason_for_declining_waits_instead_of_wiping_it()
    {
        var caseId = await system.FileAsync("force", "4", "An officer blocked my driveway with his patrol car.");
        var owner = await system.RoutedOwnerAsync(caseId);
        var receiver = new[] { "p-1018", "p-1019", "p-1020" }.First(p => p != owner);
        var offered = await system.Assignment.PostAsync($"/api/cases/{caseId}/handoffs", ConsoleSystem.Token(owner, Roles.Investigator),
            new { toPersonId = receiver, reason = "Closer to the driveway's district" });
        Assert.True(offered.IsSuccess, offered.ToString());

        var inbox = await system.SignedInAsAsync(receiver);
        await inbox.GotoAsync("/inbox");
        await Expect(inbox.Locator("#live-state")).ToContainTextAsync("Live:");
        var offer = inbox.Locator($"li.handoff[data-case='{caseId}']");
        await offer.GetByLabel("Reason for declining").FillAsync("Already carrying three force cases");

        // Another case changes meanwhile: the page hears of it, and keeps the half-written reason.
        await system.FileAsync("discourtesy", "2", "The desk officer laughed at my question.");
        await Expect(inbox.Locator("#live-state")).ToContainTextAsync("New updates are waiting", new() { Timeout = 60_000 });
        await Expect(offer.GetByLabel("Reason for declining")).ToHaveValueAsync("Already carrying three force cases");

        await offer.GetByRole(AriaRole.Button, new() { Name = "Decline" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(inbox, "Handoff declined");
        Assert.Equal(owner, (await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1009", Roles.Dispatcher))).Ok()
            .GetProperty("owner").GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_officer_a_complaint_is_about_and_his_sergeant_find_no_such_case_even_with_its_address()
    {
        // Issue 12, finding 1, in the browser: p-1031 (badge 1569) and his supervisor p-1030.
        var caseId = await system.FileAsync("force", "2", "An officer hit me with his baton outside the stadium.",
            new { name = "Robin Witness", email = $"robin-{Guid.NewGuid():N}@example.org", phone = "+15555550100" }, subjectOfficers: ["1569"]);
        await system.RoutedOwnerAsync(caseId);

        foreach (var person in new[] { "p-1031", "p-1030" })
        {
            var page = await system.SignedInAsAsync(person);
            var response = await page.GotoAsync($"/cases/{caseId}");
            Assert.Equal(404, response!.Status);
            var html = await page.ContentAsync();
            Assert.DoesNotContain("Robin Witness", html);
            Assert.DoesNotContain("baton", html);
            await page.GotoAsync("/inbox");
            Assert.DoesNotContain(caseId.ToString(), await page.ContentAsync());
        }
    }

    [Fact]
    public async Task An_auditor_finds_the_refused_read_of_a_subject_officer_in_the_access_log_and_granted_reads_are_not_shaded()
    {
        var caseId = await system.FileAsync("misconduct", "2", "An officer took my phone and did not give it back.", subjectOfficers: ["1569"]);
        var owner = await system.RoutedOwnerAsync(caseId);
        (await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token(owner, Roles.Investigator))).Ok();
        var refused = await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1031", Roles.Investigator));
        Assert.Equal(404, (int)refused.Status);

        var auditor = await system.SignedInAsAsync("p-1004");
        var name = await NameOfAsync("p-1031");
        await Eventually.HoldsAsync(async () =>
        {
            // The auditor looks the officer up by name, not by id.
            await auditor.GotoAsync("/audit");
            await auditor.GetByLabel("Person (name or id)").FillAsync(name);
            await auditor.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            return await auditor.Locator("tr", new() { HasText = "p-1031" }).CountAsync() > 0;
        }, "the subject officer's refused read reaches the access log", TimeSpan.FromSeconds(60));

        var denied = auditor.Locator("tr", new() { HasText = "p-1031" }).First;
        await Expect(denied).ToContainTextAsync("denied");
        await Expect(denied).ToHaveClassAsync(new Regex("warning"));
        // Finding 8: granted rows were shaded as if they were refusals.
        await auditor.GotoAsync("/audit");
        var granted = auditor.Locator("tr", new() { HasText = "granted" }).First;
        await Expect(granted).Not.ToHaveClassAsync(new Regex("warning"));
        await ConsoleSystem.ScreenshotAsync(auditor, "auditor-access-log");
    }

    private async Task<Guid> CaseOfTrackingCodeAsync(string trackingCode)
    {
        // Staff never see tracking codes; the test finds the case the way intake stores it.
        await using var connection = await system.OpenIntakeAsync();
        var hash = await Eventually.ReturnsAsync(async () =>
        {
            await using var command = new Npgsql.NpgsqlCommand("select case_id from complaints where tracking_code = @code", connection);
            command.Parameters.AddWithValue("code", trackingCode);
            return await command.ExecuteScalarAsync() as Guid?;
        }, id => id is not null, $"the case of {trackingCode}");
        return hash!.Value;
    }

    private async Task<string> NameOfAsync(string personId)
    {
        var directory = await system.DirectoryAsync();
        return directory.GetProperty("people").EnumerateArray().Single(p => p.GetProperty("id").GetString() == personId).GetProperty("name").GetString()!;
    }
}
