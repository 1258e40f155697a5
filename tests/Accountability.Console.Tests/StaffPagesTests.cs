using System.Text.Json;
using Accountability.Console.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

[Collection(nameof(ConsoleSystem))]
public sealed class StaffPagesTests(ConsoleSystem system)
{
    [Fact]
    public async Task A_dispatcher_sees_a_new_complaint_appear_on_the_board_without_reloading_and_the_unowned_count()
    {
        var board = await system.SignedInAsAsync("p-1009");
        await board.GotoAsync("/board");
        await Expect(board.GetByTestId("live-state")).ToContainTextAsync("Live:");
        var loadedAt = await board.EvaluateAsync<double>("() => performance.timeOrigin");

        var caseId = await system.FileAsync("discourtesy", "4", "The officer at the front desk laughed at me and walked away.");
        var row = board.Locator($"tr[data-case='{caseId}']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row.GetByTestId("owner")).Not.ToContainTextAsync("Duty Desk", new() { Timeout = 60_000 });
        // Its deadline comes too. Escalation writes the clocks up to half a second after the routing reached the page, so
        // the page fetches the rows once more when the changes have been quiet for a moment.
        await Expect(row.Locator("time.countdown")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        // The same document all along: the row came by the live feed, not by a reload.
        Assert.Equal(loadedAt, await board.EvaluateAsync<double>("() => performance.timeOrigin"));

        // The banner shows the gap monitor's count; the owner column shows who holds each case.
        var monitor = await system.Escalation.GetUntilAsync("/api/gap-monitor", ConsoleSystem.Token("p-1009", Roles.Dispatcher), _ => true, "a gap monitor sweep");
        await board.ReloadAsync();
        await Expect(board.GetByTestId("unowned-count")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9]+$"));
        var shown = int.Parse(await board.GetByTestId("unowned-count").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(shown == monitor.GetProperty("unowned").GetInt32() || shown == 0, $"The banner says {shown}, the monitor {monitor}.");
        await ConsoleSystem.ScreenshotAsync(board, "board", fullPage: false);

        // Filtering by district keeps the case; another district hides it.
        await board.GotoAsync("/board?district=4");
        await Expect(board.Locator($"tr[data-case='{caseId}']")).ToBeVisibleAsync();
        await board.GotoAsync("/board?district=1");
        await Expect(board.Locator($"tr[data-case='{caseId}']")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_investigator_accepts_a_handoff_in_the_inbox_and_acknowledges_the_case()
    {
        var caseId = await system.FileAsync("force", "2", "I was pushed against a car during a stop on Main Street.");
        var owner = await system.RoutedOwnerAsync(caseId);
        var receiver = await ColleagueOfAsync(owner);
        var handoff = await system.Assignment.PostAsync($"/api/cases/{caseId}/handoffs", ConsoleSystem.Token(owner, Roles.Investigator),
            new { toPersonId = receiver, reason = "She has worked with this complainant before" });
        Assert.True(handoff.IsSuccess, handoff.ToString());

        var inbox = await system.SignedInAsAsync(receiver);
        await inbox.GotoAsync("/inbox");
        var offer = inbox.Locator($"li.handoff[data-case='{caseId}']");
        await Expect(offer).ToContainTextAsync("She has worked with this complainant before");
        await offer.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(inbox, "Handoff accepted");

        var mine = inbox.GetByTestId("my-cases").Locator($"tr[data-case='{caseId}']");
        await Expect(mine).ToBeVisibleAsync();
        await mine.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(inbox, "Case acknowledged");
        await Expect(inbox.GetByTestId("my-cases").Locator($"tr[data-case='{caseId}']").GetByTestId("acknowledged")).ToBeVisibleAsync();

        var after = (await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1009", Roles.Dispatcher))).Ok();
        Assert.Equal(receiver, after.GetProperty("owner").GetProperty("id").GetString());
        Assert.True(after.GetProperty("acknowledged").GetBoolean());

        // The case page shows the chain: received, routed, handed off.
        await inbox.GotoAsync($"/cases/{caseId}");
        var chain = inbox.GetByTestId("custody-chain").Locator("li");
        await Expect(chain).ToHaveCountAsync(3);
        await Expect(chain.Nth(2)).ToContainTextAsync("handoff");
        await Expect(chain.Nth(2)).ToContainTextAsync("She has worked with this complainant before");
        await ConsoleSystem.ScreenshotAsync(inbox, "case-page");
    }

    [Fact]
    public async Task A_supervisor_sees_the_escalation_of_a_case_whose_acknowledgement_deadline_passed()
    {
        var caseId = await system.FileAsync("misconduct", "1", "An officer took cash from a street vendor and kept it.");
        var owner = await system.RoutedOwnerAsync(caseId);
        await system.BreachAcknowledgeAsync(caseId, owner);
        var escalated = await system.Assignment.GetUntilAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1009", Roles.Dispatcher),
            c => c.GetProperty("owner").GetProperty("id").GetString() != owner, "the case is escalated away from its owner");
        var supervisor = escalated.GetProperty("owner").GetProperty("id").GetString()!;

        var page = await system.SignedInAsAsync(supervisor);
        await page.GotoAsync("/supervisor");
        var row = page.GetByTestId("escalations").Locator($"tr[data-case='{caseId}']");
        await Expect(row).ToContainTextAsync("Acknowledge");
        await Expect(page.GetByTestId("load")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("satisfaction")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_auditor_verifies_the_trail_and_sees_the_custody_chain_with_trace_ids()
    {
        var caseId = await system.FileAsync("offensive-language", "5", "The officer used a slur when he handed me the ticket.");
        await system.RoutedOwnerAsync(caseId);
        await system.Audit.GetUntilAsync($"/api/audit/cases/{caseId}/custody", ConsoleSystem.Token("p-1004", Roles.Auditor),
            c => c.GetArrayLength() >= 2, "the audit trail holds the receipt and the routing");

        var page = await system.SignedInAsAsync("p-1004");
        await page.GotoAsync("/audit");
        // By its number, as an auditor would be told it.
        var number = (await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1004", Roles.Auditor))).Ok().GetProperty("caseNumber").GetString()!;
        Assert.Matches(@"^IA-\d{4}-\d{5}$", number);
        await page.GetByLabel("Case number or id").FillAsync(number);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Expect(page.GetByTestId("audit-custody").Locator("li")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("audit-custody")).ToContainTextAsync("routed");
        var traceIds = await page.GetByTestId("trace-id").AllInnerTextsAsync();
        Assert.NotEmpty(traceIds);
        Assert.All(traceIds, id => Assert.Matches("^[0-9a-f]{32}$", id.Trim()));

        await page.GetByRole(AriaRole.Button, new() { Name = "Verify the trail" }).ClickAsync();
        await Expect(page.GetByTestId("verify-result")).ToHaveAttributeAsync("data-valid", "true");
        await Expect(page.GetByTestId("verify-result")).ToContainTextAsync("The trail verifies.");
        await ConsoleSystem.ScreenshotAsync(page, "auditor");

        // State as of an instant before the receipt: not yet received.
        await page.GetByLabel("Instant (UTC)").FillAsync("2020-01-01T00:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show state" }).ClickAsync();
        await Expect(page.GetByTestId("state-as-of")).ToContainTextAsync("not-yet-received");
    }

    [Fact]
    public async Task Each_role_is_refused_the_pages_it_may_not_see()
    {
        var caseId = await system.FileAsync("lack-of-service", "3", "Nobody came for two hours after I called about a break-in.",
            new { name = "Jordan Private", email = $"jordan-{Guid.NewGuid():N}@example.org" });
        await system.RoutedOwnerAsync(caseId);

        // Not signed in: staff pages send to the sign-in.
        var anonymous = await system.OpenAsync();
        await anonymous.GotoAsync("/board");
        Assert.Contains("/signin", anonymous.Url);

        var cases = new (string Person, string[] Refused)[]
        {
            ("p-1014", ["/audit", "/supervisor"]),                // investigator (the board shows only their own cases: issue 12)
            ("p-1004", ["/board", "/inbox", $"/cases/{caseId}"]), // auditor
            ("p-1009", ["/inbox", "/audit", "/supervisor"]),      // dispatcher
            ("p-1007", ["/board", "/audit", "/inbox"]),           // intake clerk
        };
        foreach (var (person, refused) in cases)
        {
            var page = await system.SignedInAsAsync(person);
            foreach (var path in refused)
            {
                var response = await page.GotoAsync(path);
                await Expect(page.GetByTestId("denied")).ToBeVisibleAsync();
                Assert.Equal(403, response!.Status);
            }
        }

        // A dispatcher opens the case as the board shows it: never the narrative or the complainant; its owner sees both.
        var dispatcher = await system.SignedInAsAsync("p-1009");
        await dispatcher.GotoAsync($"/cases/{caseId}");
        await Expect(dispatcher.GetByTestId("case-owner")).ToBeVisibleAsync();
        await Expect(dispatcher.GetByTestId("board-view")).ToContainTextAsync("as the dispatch board does");
        Assert.DoesNotContain("Jordan Private", await dispatcher.ContentAsync());
        Assert.DoesNotContain("Nobody came for two hours", await dispatcher.ContentAsync());
        var owner = await system.RoutedOwnerAsync(caseId);
        var investigator = await system.SignedInAsAsync(owner);
        await investigator.GotoAsync($"/cases/{caseId}");
        await Expect(investigator.GetByTestId("complainant")).ToContainTextAsync("Jordan Private");

        // An investigator with no part in the case learns nothing, not even that it exists.
        var stranger = await system.SignedInAsAsync(owner == "p-1023" ? "p-1024" : "p-1023");
        var notFound = await stranger.GotoAsync($"/cases/{caseId}");
        Assert.Equal(404, notFound!.Status);
        Assert.DoesNotContain("Jordan Private", await stranger.ContentAsync());
    }

    [Fact]
    public async Task On_the_case_page_a_commander_pauses_and_resumes_the_statutory_clock_and_the_owner_records_contact_and_resolves()
    {
        var caseId = await system.FileAsync("force", "1", "An officer twisted my arm while I was already handcuffed.",
            new { name = "Alex Example", email = $"alex-{Guid.NewGuid():N}@example.org" });
        var owner = await system.RoutedOwnerAsync(caseId);
        await system.Escalation.GetUntilAsync($"/api/cases/{caseId}/clocks", ConsoleSystem.Token("p-1009", Roles.Dispatcher),
            all => all.EnumerateArray().Any(c => c.GetProperty("clock").GetString() == "statutory"), "the statutory clock runs");

        var commander = await system.SignedInAsAsync("p-1011");
        await commander.GotoAsync($"/cases/{caseId}");
        await commander.GetByLabel("Pause the statutory clock because").SelectOptionAsync("criminal-investigation-pending");
        await commander.GetByRole(AriaRole.Button, new() { Name = "Pause", Exact = true }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(commander, "Statutory clock paused.");
        await Expect(commander.GetByTestId("clocks")).ToContainTextAsync("criminal-investigation-pending");
        await commander.GetByRole(AriaRole.Button, new() { Name = "Resume the statutory clock" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(commander, "Statutory clock resumed.");

        var investigator = await system.SignedInAsAsync(owner);
        await investigator.GotoAsync($"/cases/{caseId}");
        // How the contact was made is required (issue 12).
        await investigator.GetByLabel("How you reached the complainant").SelectOptionAsync("email");
        await investigator.GetByRole(AriaRole.Button, new() { Name = "Record contact" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(investigator, "Contact with the complainant recorded.");
        await Expect(investigator.GetByTestId("case-status")).ToContainTextAsync("complainant contacted");
        // The investigator learns of a second officer and adds an allegation: an event, in the trail.
        await investigator.GetByTestId("add-allegation").Locator("summary").ClickAsync();
        await investigator.GetByLabel("Kind").SelectOptionAsync("discourtesy");
        await investigator.GetByLabel("Or a description").FillAsync("the second officer, who held the door");
        await investigator.GetByLabel("What was learned").FillAsync("A bystander's video shows a second officer");
        await investigator.GetByRole(AriaRole.Button, new() { Name = "Add the allegation" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(investigator, "Allegation added.");
        await Expect(investigator.GetByTestId("allegation-officer").Last).ToContainTextAsync("the second officer, who held the door");

        // Resolving waits for a finding on every allegation, then needs a note and a confirmation.
        await Expect(investigator.GetByTestId("resolve-blocked")).ToContainTextAsync("Record a finding for every allegation");
        foreach (var (kind, finding) in new[] { ("force", "sustained"), ("discourtesy", "not-sustained") })
        {
            await investigator.GetByLabel($"Finding for {kind}").SelectOptionAsync(finding);
            await investigator.GetByRole(AriaRole.Button, new() { Name = "Record finding" }).First.ClickAsync();
            await ConsoleSystem.ExpectDoneAsync(investigator, "Finding recorded.");
        }
        await Expect(investigator.GetByTestId("finding").First).ToHaveTextAsync("sustained");
        await investigator.GetByLabel("Resolution note").FillAsync("Use of force reviewed with the officer's supervisor.");
        await investigator.GetByLabel("I have checked every finding").CheckAsync();
        await investigator.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(investigator, "Case resolved.");
        await Expect(investigator.GetByTestId("case-status")).ToContainTextAsync("resolved");
        await Expect(investigator.GetByTestId("custody-chain")).ToBeVisibleAsync();
        // The note shows on the case page, isolated as all free text is, with who resolved it.
        await Expect(investigator.GetByTestId("resolution-note").Locator("bdi")).ToHaveTextAsync("Use of force reviewed with the officer's supervisor.");
        await Expect(investigator.GetByTestId("resolution")).ToContainTextAsync($"Resolved by {(await system.DirectoryAsync()).GetProperty("people").EnumerateArray()
            .Single(p => p.GetProperty("id").GetString() == owner).GetProperty("name").GetString()}");
        await ConsoleSystem.ScreenshotAsync(investigator, "case-resolved");
        // Not on the board's view of the case.
        var dispatcher = await system.SignedInAsAsync("p-1009");
        await dispatcher.GotoAsync($"/cases/{caseId}");
        await Expect(dispatcher.GetByTestId("case-status")).ToContainTextAsync("resolved");
        await Expect(dispatcher.GetByTestId("resolution")).ToHaveCountAsync(0);

        // A refusal from the service reads as a message on the page: reopening needs a reason.
        await investigator.GetByLabel("Why reopen").FillAsync(" ");
        await investigator.GetByRole(AriaRole.Button, new() { Name = "Reopen" }).ClickAsync();
        await Expect(investigator.GetByTestId("flash-error")).ToContainTextAsync("reason");
    }

    [Fact]
    public async Task The_case_page_shows_the_officers_badge_and_name_and_where_it_happened()
    {
        // Issue 12, finding 3: the investigator must see whom the complaint is about and where, without asking intake.
        var caseId = await system.FileAsync("discourtesy", "1", "The officer swore at me when I asked for directions.",
            subjectOfficers: ["1569"], location: new { address = "Corner of 5th and Main" });
        var investigator = await system.SignedInAsAsync(await system.RoutedOwnerAsync(caseId));
        await investigator.GotoAsync($"/cases/{caseId}");

        await Expect(investigator.GetByTestId("allegation-officer")).ToHaveTextAsync("badge 1569 (Lily Chen)");
        await Expect(investigator.GetByTestId("location").Locator("bdi")).ToHaveTextAsync("Corner of 5th and Main");
    }

    [Fact]
    public async Task A_supervisor_with_no_escalations_is_told_so_plainly()
    {
        // p-1022 supervises professional standards, which no case of this fixture reaches ("other" complaints only).
        var page = await system.SignedInAsAsync("p-1022");
        await page.GotoAsync("/supervisor");
        await Expect(page.GetByTestId("no-escalations")).ToContainTextAsync("None");
        await Expect(page.GetByTestId("escalations").Locator("tbody tr[data-case]")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Closing_a_live_page_leaves_no_error_in_the_consoles_log()
    {
        // Issue 12, finding 9: every closed live page logged an unhandled NotSupportedException.
        var board = await system.SignedInAsAsync("p-1009");
        await board.GotoAsync("/board");
        await Expect(board.GetByTestId("live-state")).ToContainTextAsync("Live:");
        await board.Context.CloseAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.DoesNotContain("NotSupportedException", system.Console.Output);
    }

    [Fact]
    public async Task The_live_stream_says_that_something_changed_never_which_case()
    {
        // Issue 17, finding 9: the stream gave every board and inbox the id of every case that changed, with no access record.
        var board = await system.SignedInAsAsync("p-1009");
        await board.GotoAsync("/board");
        await board.EvaluateAsync("() => { window.heard = []; window.streamOpen = false; const stream = new EventSource('/live/cases'); stream.onopen = () => window.streamOpen = true; stream.addEventListener('case', e => window.heard.push(e.data)); }");
        await Eventually.HoldsAsync(() => board.EvaluateAsync<bool>("() => window.streamOpen"), "the stream is open before the complaint is filed");
        var caseId = await system.FileAsync("discourtesy", "3", "The officer refused to give his name.");

        var heard = await Eventually.ReturnsAsync(() => board.EvaluateAsync<string[]>("() => window.heard"), h => h.Length > 0, "a change is signalled");
        Assert.All(heard, data =>
        {
            Assert.DoesNotContain(caseId.ToString(), data, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("caseId", data, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public async Task Direction_override_and_zero_width_characters_from_outside_are_left_out_of_the_case_page_and_kept_in_the_record()
    {
        // Issue 17, finding 8: U+202E in a name reversed the contact details shown after it, and
        // invisible characters could make a narrative read differently from what was filed.
        var name = "Sam \u202Emoc.elpmaxe@evil";
        var narrative = "The officer\u200B mocked \u2067my accent\u2069 at the \u202Dcounter\u202C.\uFEFF";
        var caseId = await system.FileAsync("discourtesy", "5", narrative,
            new { name, email = $"sam-{Guid.NewGuid():N}@example.org" });
        var owner = await system.RoutedOwnerAsync(caseId);
        var investigator = await system.SignedInAsAsync(owner);
        await investigator.GotoAsync($"/cases/{caseId}");

        // Shown in logical order, each in a <bdi> of its own so its direction ends with it.
        await Expect(investigator.GetByTestId("complainant").Locator("bdi").First).ToHaveTextAsync("Sam moc.elpmaxe@evil");
        await Expect(investigator.GetByTestId("narrative").Locator("bdi")).ToHaveTextAsync("The officer mocked my accent at the counter.");
        // The record keeps what was filed, character for character.
        var filed = await system.Intake.GetAsync($"/api/complaints/{caseId}", ConsoleSystem.Token(owner, Roles.Investigator));
        Assert.Equal(narrative, filed.Ok().GetProperty("narrative").GetString());
    }

    /// <summary>Another active investigator of the owner's unit, outside the owner's chain of command.</summary>
    private async Task<string> ColleagueOfAsync(string ownerId)
    {
        var directory = await system.DirectoryAsync();
        var people = directory.GetProperty("people").EnumerateArray().ToList();
        var owner = people.First(p => p.GetProperty("id").GetString() == ownerId);
        return people.Where(p => p.GetProperty("unitId").GetString() == owner.GetProperty("unitId").GetString()
                                 && p.GetProperty("id").GetString() != ownerId
                                 && (!p.TryGetProperty("active", out var active) || active.GetBoolean())
                                 && p.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).SequenceEqual([Roles.Investigator]))
            .Select(p => p.GetProperty("id").GetString()!)
            .First();
    }
}
