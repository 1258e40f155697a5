using System.Text.Json;
using System.Text.RegularExpressions;
using Accountability.Console.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

/// <summary>
/// The investigator's day (issue 12), in a real browser against the six real processes: find a case by what the
/// caller on the phone knows, see the most urgent first, record contact with the complainant, weigh a handoff.
/// Internal-affairs investigators are p-1014 to p-1021; p-1031 (badge 1569) and her sergeant p-1030 are a subject and her chain.
/// </summary>
[Collection(nameof(ConsoleSystem))]
public sealed class InvestigatorJourneyTests(ConsoleSystem system)
{
    private static readonly string[] Investigators = ["p-1014", "p-1015", "p-1016", "p-1017", "p-1018", "p-1019", "p-1020", "p-1021"];

    [Fact]
    public async Task An_investigator_finds_a_case_by_number_and_by_officer_badge_opens_it_and_records_a_phone_contact_whose_note_shows_on_the_case_page()
    {
        var complainant = $"Morgan {Guid.NewGuid():N}"[..20];
        var caseId = await system.FileAsync("force", "2", "An officer twisted my arm behind my back at the bus station.",
            new { name = complainant, email = $"morgan-{Guid.NewGuid():N}@example.org" }, subjectOfficers: ["1569"]);
        var owner = await system.RoutedOwnerAsync(caseId);
        var number = await NumberOfAsync(caseId);
        var page = await system.SignedInAsAsync(owner);

        // By case number, from the navigation.
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Case board" }).ClickAsync();
        await page.GetByLabel("Case number").FillAsync(number);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var row = page.Locator($"tr[data-case='{caseId}']");
        await Expect(row.GetByTestId("case-number")).ToHaveTextAsync(number);
        await Expect(page.Locator("#board-rows tr")).ToHaveCountAsync(1);

        // By the officer's badge, then by the complainant's name (the investigator may read the contact).
        await page.GotoAsync("/board");
        await page.GetByLabel("Officer").FillAsync("1569");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(row).ToBeVisibleAsync();
        await page.GotoAsync("/board");
        await page.GetByLabel("Complainant").FillAsync(complainant.ToUpperInvariant());
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(row).ToBeVisibleAsync();
        await Expect(page.Locator("#board-rows tr")).ToHaveCountAsync(1);
        await ConsoleSystem.ScreenshotAsync(page, "investigator-search", fullPage: false);

        // A tracking code that cannot be one is told so next to its field, in a sentence.
        await page.GotoAsync("/board");
        await page.GetByLabel("Tracking code").FillAsync("RPD-12");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.GetByTestId("error-trackingCode")).ToContainTextAsync("A tracking code has 16 letters and digits");
        await Expect(page.GetByTestId("board-empty")).ToContainTextAsync("Correct the search above");
        await page.GotoAsync("/board?number=IA-1999-99999");
        await Expect(page.GetByTestId("board-empty")).ToContainTextAsync("No cases match.");

        // Open the case; no contact yet.
        await page.GotoAsync($"/board?number={number}");
        await row.GetByTestId("case-number").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/cases/{caseId}$"));
        await Expect(page.GetByTestId("contacts")).ToContainTextAsync("No contact recorded yet.");

        // Sent without a method (the browser's own check taken away, as an old browser would): the service's reason shows next to the field.
        await page.Locator("select[name=method]").EvaluateAsync("e => e.removeAttribute('required')");
        await page.GetByLabel("Note").FillAsync("Left a message.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record contact" }).ClickAsync();
        await Expect(page.GetByTestId("error-method")).ToHaveTextAsync("Choose how you reached the complainant.");
        await Expect(page.GetByLabel("Note")).ToHaveValueAsync("Left a message.");
        await ConsoleSystem.ScreenshotAsync(page, "contact-error");

        // By phone, with a note: it shows on the case page, and the status says the complainant was contacted.
        const string note = "Spoke for 20 minutes. She will send the bus station's CCTV request number by Friday.";
        await page.GetByLabel("How you reached the complainant").SelectOptionAsync("phone");
        await page.GetByLabel("Note").FillAsync(note);
        await page.GetByRole(AriaRole.Button, new() { Name = "Record contact" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(page, "Contact with the complainant recorded.");
        var contact = page.GetByTestId("contact");
        await Expect(contact).ToHaveCountAsync(1);
        await Expect(contact).ToContainTextAsync("Phone");
        await Expect(contact).ToContainTextAsync(await NameOfAsync(owner));
        await Expect(contact.GetByTestId("contact-note")).ToHaveTextAsync(note);
        await Expect(page.GetByTestId("case-status")).ToContainTextAsync("complainant contacted");
        await Expect(page.GetByTestId("error-method")).ToHaveCountAsync(0);
        await ConsoleSystem.ScreenshotAsync(page, "case-contact");

        // The subject officer and her sergeant search the same ways and find nothing, not even that it exists.
        foreach (var person in new[] { "p-1031", "p-1030" })
        {
            var other = await system.SignedInAsAsync(person);
            foreach (var query in new[] { $"number={number}", "officer=1569", $"complainant={Uri.EscapeDataString(complainant)}" })
            {
                await other.GotoAsync($"/board?{query}");
                await Expect(other.GetByTestId("board-empty")).ToContainTextAsync("No cases match.");
                Assert.DoesNotContain(caseId.ToString(), await other.ContentAsync());
            }
        }
    }

    [Fact]
    public async Task The_board_shows_an_investigators_most_urgent_case_first_and_finds_resolved_cases_with_the_status_filter()
    {
        // Four cases made one investigator's by internal-affairs command: each owner change starts a fresh acknowledge clock.
        var investigator = Investigators[5];
        var older = await system.FileAsync("discourtesy", "5", "The desk officer shouted at me when I asked for a form.");
        var urgent = await system.FileAsync("discourtesy", "5", "An officer refused to give me his badge number.");
        var newest = await system.FileAsync("discourtesy", "5", "An officer parked across my driveway and laughed.");
        var closed = await system.FileAsync("discourtesy", "5", "An officer swore at my son at the park.");
        foreach (var caseId in new[] { urgent, older, newest, closed })
            await ReassignAsync(caseId, investigator);
        // Acknowledged (anonymous) cases wait on the resolution clock; the one left unacknowledged is due first.
        foreach (var caseId in new[] { older, newest, closed })
            (await system.Assignment.PostAsync($"/api/cases/{caseId}/acknowledge", ConsoleSystem.Token(investigator, Roles.Investigator), null)).Ok();
        await system.ResolveAsync(closed, investigator, "not-sustained", "The complainant withdrew after a conversation.");
        await WaitForClocksAsync([urgent, older, newest]);

        var page = await system.SignedInAsAsync(investigator);
        await page.GotoAsync("/board");
        await Expect(page.GetByLabel("Order")).ToHaveValueAsync("urgency");
        await Expect(page.GetByLabel("Status")).ToHaveValueAsync("open");
        var order = await RowOrderAsync(page, [urgent, older, newest]);
        Assert.Equal([urgent, older, newest], order);
        await Expect(page.Locator($"tr[data-case='{urgent}']")).ToContainTextAsync("Acknowledge");
        await Expect(page.Locator($"tr[data-case='{closed}']")).ToHaveCountAsync(0);
        await ConsoleSystem.ScreenshotAsync(page, "board-urgency", fullPage: false);

        // Newest first is still there for who wants it.
        await page.GetByLabel("Order").SelectOptionAsync("newest");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        Assert.Equal([newest, urgent, older], await RowOrderAsync(page, [urgent, older, newest]));

        // Resolved cases are found with the status filter, marked resolved.
        await page.GotoAsync("/board");
        await page.GetByLabel("Status").SelectOptionAsync("resolved");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var resolvedRow = page.Locator($"tr[data-case='{closed}']");
        await Expect(resolvedRow.GetByTestId("status")).ToHaveTextAsync("resolved");
        await Expect(page.Locator($"tr[data-case='{urgent}']")).ToHaveCountAsync(0);
        await page.GetByLabel("Status").SelectOptionAsync("all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.Locator($"tr[data-case='{closed}']")).ToBeVisibleAsync();
        await Expect(page.Locator($"tr[data-case='{urgent}']")).ToBeVisibleAsync();
        // Resolved cases come last when the order is by urgency.
        var rows = await page.Locator("#board-rows tr[data-case]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.case)");
        Assert.True(Array.IndexOf(rows, closed.ToString()) > Array.IndexOf(rows, newest.ToString()), string.Join(", ", rows));
        await ConsoleSystem.ScreenshotAsync(page, "board-resolved", fullPage: false);
    }

    [Fact]
    public async Task A_handoff_card_shows_the_category_a_summary_of_the_complaint_and_when_the_offer_expires()
    {
        const string narrative = "Two officers searched my car without asking and left my belongings on the road. " +
            "When I asked why, one of them told me to stop asking questions or I would be arrested for obstruction. " +
            "This happened in front of my children on the way home from school, and they are still upset about it.";
        var caseId = await system.FileAsync("misconduct", "3", narrative);
        var owner = await system.RoutedOwnerAsync(caseId);
        var receiver = Investigators.First(p => p != owner);
        var offered = await system.Assignment.PostAsync($"/api/cases/{caseId}/handoffs", ConsoleSystem.Token(owner, Roles.Investigator),
            new { toPersonId = receiver, reason = "I am on leave from Monday" });
        Assert.True(offered.IsSuccess, offered.ToString());

        var inbox = await system.SignedInAsAsync(receiver);
        var card = inbox.Locator($"li.handoff[data-case='{caseId}']");
        await Eventually.HoldsAsync(async () =>
        {
            await inbox.GotoAsync("/inbox");
            return (await card.GetByTestId("handoff-deadline").InnerTextAsync()).Contains("Answer by", StringComparison.Ordinal);
        }, "the handoff's answer deadline reaches the inbox", TimeSpan.FromSeconds(60));

        await Expect(card.GetByTestId("handoff-category")).ToContainTextAsync("misconduct");
        await Expect(card.GetByTestId("handoff-summary")).ToContainTextAsync("Two officers searched my car without asking");
        await Expect(card.GetByTestId("handoff-summary")).ToHaveTextAsync(new Regex("…$"));
        await Expect(card.GetByTestId("handoff-deadline")).ToContainTextAsync(new Regex(@"Answer by \d{1,2} \w{3} \d{4}, \d{2}:\d{2}"));
        await Expect(card.GetByTestId("handoff-deadline")).ToContainTextAsync("the offer expires and the case stays with its owner");
        await Expect(card).ToContainTextAsync("I am on leave from Monday");
        await ConsoleSystem.ScreenshotAsync(inbox, "handoff-card");
    }

    private async Task ReassignAsync(Guid caseId, string to)
    {
        var owner = await system.RoutedOwnerAsync(caseId);
        if (owner == to)
            return;
        var moved = await system.Assignment.PostAsync($"/api/cases/{caseId}/reassign", ConsoleSystem.Token("p-1011", Roles.Commander),
            new { toPersonId = to, reason = "Internal affairs command puts these together" });
        Assert.True(moved.IsSuccess, moved.ToString());
    }

    /// <summary>Waits until escalation has a running clock with a deadline for each case, so the board can order them.</summary>
    private async Task WaitForClocksAsync(IReadOnlyList<Guid> caseIds)
    {
        foreach (var caseId in caseIds)
            await system.Escalation.GetUntilAsync($"/api/cases/{caseId}/clocks", ConsoleSystem.Token("p-1009", Roles.Dispatcher),
                all => all.EnumerateArray().Any(c => c.GetProperty("clock").GetString() == "resolution" && c.GetProperty("dueAt").ValueKind == JsonValueKind.String)
                       && all.EnumerateArray().Any(c => c.GetProperty("clock").GetString() == "acknowledge"),
                $"the clocks of {caseId}");
    }

    /// <summary>The board's order of these cases (others on the board are left out).</summary>
    private static async Task<Guid[]> RowOrderAsync(IPage page, IReadOnlyList<Guid> cases)
    {
        foreach (var caseId in cases)
            await Expect(page.Locator($"tr[data-case='{caseId}']")).ToBeVisibleAsync();
        var rows = await page.Locator("#board-rows tr[data-case]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.case)");
        return [.. rows.Select(Guid.Parse).Where(cases.Contains)];
    }

    private async Task<string> NumberOfAsync(Guid caseId) =>
        (await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1009", Roles.Dispatcher))).Ok().GetProperty("caseNumber").GetString()!;

    private async Task<string> NameOfAsync(string personId)
    {
        var directory = await system.DirectoryAsync();
        return directory.GetProperty("people").EnumerateArray().Single(p => p.GetProperty("id").GetString() == personId).GetProperty("name").GetString()!;
    }
}
