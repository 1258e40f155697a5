using Accountability.Console.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

[Collection(nameof(ConsoleSystem))]
public sealed class PublicPagesTests(ConsoleSystem system)
{
    [Fact]
    public async Task A_member_of_the_public_files_an_anonymous_complaint_on_a_phone_and_then_sees_its_status_by_tracking_code()
    {
        var page = await system.OpenAsync(phone: true);
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "File a complaint" }).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "File a complaint about the police" })).ToBeVisibleAsync();

        // Every field is reached through its label, as a screen reader user reaches it.
        await page.GetByLabel("What happened?").FillAsync("Two officers searched my bag outside the station and would not say why.");
        await page.GetByLabel("What is it about?").SelectOptionAsync("abuse-of-authority");
        await page.GetByLabel("Which district?").SelectOptionAsync("3");
        await page.GetByLabel("I want to stay anonymous").CheckAsync();
        // Nothing wider than the phone: no sideways scrolling to reach a field.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "The form is wider than a phone's screen.");
        await ConsoleSystem.ScreenshotAsync(page, "public-form");

        // Keyboard only: Tab reaches the button, Enter sends.
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the complaint" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var code = (await page.GetByTestId("tracking-code").InnerTextAsync()).Trim();
        Assert.Matches("^[A-Z0-9-]{10,}$", code);

        await page.GetByRole(AriaRole.Link, new() { Name = "See its status now" }).ClickAsync();
        await Expect(page.GetByTestId("status")).ToContainTextAsync(code);
        await Expect(page.GetByTestId("public-status")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(Received|Being looked into)"));
        await Expect(page.GetByTestId("status")).ToContainTextAsync("We received your complaint");
        await ConsoleSystem.ScreenshotAsync(page, "public-status");
    }

    [Fact]
    public async Task An_empty_narrative_gets_a_plain_message_next_to_the_field_and_nothing_is_filed()
    {
        var page = await system.OpenAsync();
        await page.GotoAsync("/public/complaint");
        await page.GetByLabel("I want to stay anonymous").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the complaint" }).ClickAsync();
        await Expect(page.GetByTestId("form-errors")).ToContainTextAsync("Please tell us what happened.");
        await Expect(page.GetByTestId("tracking-code")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_one_megabyte_narrative_gets_a_clear_message_with_the_limit_and_no_stack_trace()
    {
        var page = await system.OpenAsync();
        await page.GotoAsync("/public/complaint");
        await page.GetByLabel("What happened?").FillAsync(new string('x', 1024 * 1024));
        await page.GetByLabel("I want to stay anonymous").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the complaint" }).ClickAsync();
        await Expect(page.GetByTestId("form-errors")).ToContainTextAsync("10,000 characters; it has 1,048,576");
        var text = await page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain(" at Accountability.", text);
    }

    [Fact]
    public async Task Script_tags_in_a_complaint_are_shown_as_text_on_the_form_and_on_the_investigators_page_and_never_run()
    {
        const string hostile = "<script>window.__ran = 1; alert('x')</script><img src=x onerror=\"window.__ran = 2\"> He hit me.";
        var dialogs = new List<string>();

        // First the form sends it back with an error (a bad e-mail), so the page echoes the text.
        var page = await system.OpenAsync();
        page.Dialog += (_, dialog) => dialogs.Add(dialog.Message);
        await page.GotoAsync("/public/complaint");
        await page.GetByLabel("What happened?").FillAsync(hostile);
        await page.GetByLabel("What is it about?").SelectOptionAsync("force");
        await page.GetByLabel("Your name").FillAsync("Sam Example");
        await page.GetByLabel("E-mail").FillAsync("not-an-address");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the complaint" }).ClickAsync();
        await Expect(page.GetByTestId("form-errors")).ToContainTextAsync("Not a valid e-mail address");
        Assert.Equal(hostile, await page.GetByLabel("What happened?").InputValueAsync());

        // Then it is filed, and a dispatcher opens it.
        await page.GetByLabel("E-mail").FillAsync("");
        await page.GetByLabel("Your name").FillAsync("");
        await page.GetByLabel("I want to stay anonymous").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the complaint" }).ClickAsync();
        await Expect(page.GetByTestId("tracking-code")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__ran ?? null"));

        var caseId = await LatestCaseWithNarrativeAsync(hostile);
        var investigator = await system.SignedInAsAsync(await system.RoutedOwnerAsync(caseId));
        investigator.Dialog += (_, dialog) => dialogs.Add(dialog.Message);
        await investigator.GotoAsync($"/cases/{caseId}");
        await Expect(investigator.GetByTestId("narrative")).ToHaveTextAsync(hostile);
        Assert.Null(await investigator.EvaluateAsync<int?>("() => window.__ran ?? null"));
        Assert.Empty(dialogs);
    }

    [Fact]
    public async Task An_unknown_tracking_code_says_so_plainly()
    {
        var page = await system.OpenAsync();
        await page.GotoAsync("/public/status");
        await page.GetByLabel("Tracking code").FillAsync("RPD-0000-0000-0000-0000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        await Expect(page.GetByTestId("status-message")).ToContainTextAsync("We have no complaint with that tracking code");
        await Expect(page.GetByTestId("status")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_form_over_the_size_limit_gets_the_size_message_not_something_went_wrong()
    {
        // Issue 12, finding 6: a form over 2 MB said "Something went wrong on our side".
        var page = await system.OpenAsync();
        var response = await page.APIRequest.PostAsync("/public/complaint",
            new() { Form = page.APIRequest.CreateFormData().Append("Form.Narrative", new string('x', 3 * 1024 * 1024)) });
        Assert.Equal(413, response.Status);
        var body = await response.TextAsync();
        Assert.Contains("What you sent is too large", body);
        Assert.Contains("10,000 characters", body);
        Assert.DoesNotContain("Something went wrong", body);
    }

    [Fact]
    public async Task A_form_posted_without_its_anti_forgery_token_gets_a_plain_error_page()
    {
        var page = await system.OpenAsync();
        var response = await page.APIRequest.PostAsync("/public/complaint", new() { Form = page.APIRequest.CreateFormData().Append("Form.Narrative", "x") });
        Assert.Equal(400, response.Status);
        var body = await response.TextAsync();
        Assert.Contains("That request could not be read", body);
        Assert.DoesNotContain("Exception", body);
    }

    [Fact]
    public async Task A_complainant_follows_the_e_mail_link_to_the_console_and_answers_the_satisfaction_question_once()
    {
        var email = $"satisfied-{Guid.NewGuid():N}@example.org";
        var caseId = await system.FileAsync("discourtesy", "2", "The officer was dismissive when I reported my stolen bike.", new { name = "Pat Example", email });
        var owner = await system.RoutedOwnerAsync(caseId);
        await system.ResolveAsync(caseId, owner, "sustained", "Apology given; officer coached.");

        // Notification links to the console's public page (Notification:PublicSatisfactionUrl), under the public address.
        var linkPattern = new System.Text.RegularExpressions.Regex(
            System.Text.RegularExpressions.Regex.Escape(ConsoleSystem.PublicConsoleUrl) + @"(/public/satisfaction/[A-Za-z0-9_\-]+)");
        var mail = await system.Smtp.WaitForAsync(m => m.IsFor(email) && linkPattern.IsMatch(m.Text),
            "the resolution e-mail with the console's satisfaction link", ServiceHttp.FlowTimeout);
        var path = linkPattern.Match(mail.Text).Groups[1].Value;
        Assert.Contains($"{ConsoleSystem.PublicConsoleUrl}{path}?answer=4", mail.Html);
        var token = path[(path.LastIndexOf('/') + 1)..];

        // The receipt's status link leads to the console's status page too.
        var page = await system.OpenAsync(phone: true);
        var statusLink = new System.Text.RegularExpressions.Regex(
            System.Text.RegularExpressions.Regex.Escape(ConsoleSystem.PublicConsoleUrl) + @"(/public/status\?code=[A-Za-z0-9\-]+)");
        var receipt = await system.Smtp.WaitForAsync(m => m.IsFor(email) && m.Subject.Contains("received", StringComparison.Ordinal) && statusLink.IsMatch(m.Text),
            "the receipt with the console's status link", ServiceHttp.FlowTimeout);
        await page.GotoAsync(statusLink.Match(receipt.Text).Groups[1].Value);
        await Expect(page.GetByTestId("public-status")).ToBeVisibleAsync();

        await page.GotoAsync(path);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answer" }).ClickAsync();
        await Expect(page.GetByTestId("satisfaction-message")).ToContainTextAsync("Please choose one of the five answers.");

        // The e-mail's "4" link checks 4 but records nothing until the complainant sends it (mail scanners open links).
        await page.GotoAsync($"{path}?answer=4");
        await Expect(page.GetByLabel("4 – Satisfied")).ToBeCheckedAsync();
        await Expect(page.GetByTestId("satisfaction-chosen")).ToContainTextAsync("You chose 4");
        await page.GotoAsync($"{path}?answer=4");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answer" }).ClickAsync();
        await Expect(page.GetByTestId("satisfaction-recorded")).ToBeVisibleAsync();

        // The first answer counts; a second is told so.
        await page.GotoAsync($"/public/satisfaction/{token}");
        await page.GetByLabel("1 – Very dissatisfied").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answer" }).ClickAsync();
        await Expect(page.GetByTestId("satisfaction-message")).ToContainTextAsync("already been answered");

        // An invented link is refused plainly.
        await page.GotoAsync("/public/satisfaction/not-a-real-token");
        await page.GetByLabel("3 – Neither").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my answer" }).ClickAsync();
        await Expect(page.GetByTestId("satisfaction-message")).ToContainTextAsync("This link is not valid");
    }

    [Fact]
    public async Task A_complainant_stops_progress_updates_from_the_receipts_link_on_the_console_and_opening_it_alone_changes_nothing()
    {
        var email = $"opting-out-{Guid.NewGuid():N}@example.org";
        await system.FileAsync("discourtesy", "3", "The officer would not give me his badge number at the traffic stop.", new { name = "Lee Example", email });
        var optOutLink = new System.Text.RegularExpressions.Regex(
            System.Text.RegularExpressions.Regex.Escape(ConsoleSystem.PublicConsoleUrl) + @"(/public/opt-out/([A-Za-z0-9_\-]+))");
        var receipt = await system.Smtp.WaitForAsync(m => m.IsFor(email) && m.Subject.Contains("received", StringComparison.Ordinal) && optOutLink.IsMatch(m.Text),
            "the receipt with the console's opt-out link", ServiceHttp.FlowTimeout);
        var match = optOutLink.Match(receipt.Text);
        var (path, token) = (match.Groups[1].Value, match.Groups[2].Value);
        // A mail client's one-click unsubscribe posts to notification itself: it carries no form token.
        Assert.Contains($"/api/public/opt-out/{token}>", receipt.Headers["List-Unsubscribe"]);

        var page = await system.OpenAsync(phone: true);
        await page.GotoAsync(path);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop progress updates" })).ToBeVisibleAsync();
        Assert.Contains("Do you want to stop", await NotificationOptOutPageAsync(token)); // opening the page changed nothing

        await page.GetByRole(AriaRole.Button, new() { Name = "Stop progress updates" }).ClickAsync();
        await Expect(page.GetByTestId("opt-out-done")).ToContainTextAsync("no more progress updates");
        Assert.Contains("already stopped these updates", await NotificationOptOutPageAsync(token));

        await page.GotoAsync("/public/opt-out/not-a-real-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop progress updates" }).ClickAsync();
        await Expect(page.GetByTestId("opt-out-message")).ToContainTextAsync("This link is not valid");
    }

    private async Task<string> NotificationOptOutPageAsync(string token)
    {
        using var response = await system.Notification.Client.GetAsync($"/api/public/opt-out/{token}");
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The case the public form just filed, found by its text through assignment and intake (staff APIs).</summary>
    private async Task<Guid> LatestCaseWithNarrativeAsync(string narrative)
    {
        // An auditor sees every case's complaint (without the contact); a dispatcher sees only the board.
        var dispatcher = ConsoleSystem.Token("p-1004", Roles.Auditor);
        Guid? found = null;
        await Eventually.HoldsAsync(async () =>
        {
            var cases = (await system.Assignment.GetAsync("/api/cases?limit=20", dispatcher)).Ok();
            foreach (var c in cases.EnumerateArray())
            {
                var id = c.GetProperty("caseId").GetGuid();
                var complaint = await system.Intake.GetAsync($"/api/complaints/{id}", dispatcher);
                if (complaint.IsSuccess && complaint.Json.GetProperty("narrative").GetString() == narrative)
                {
                    found = id;
                    return true;
                }
            }
            return false;
        }, "the hostile complaint reaches assignment", ServiceHttp.FlowTimeout);
        return found!.Value;
    }
}
