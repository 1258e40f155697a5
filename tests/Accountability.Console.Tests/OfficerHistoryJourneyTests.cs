using System.Text.Json;
using Accountability.Console.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

/// <summary>
/// Early intervention (issue 16), in a real browser against the six real processes: complaints against one officer cross
/// a threshold, his commander records the intervention, and internal-affairs command reads the officer's history.
/// </summary>
[Collection(nameof(ConsoleSystem))]
public sealed class OfficerHistoryJourneyTests(ConsoleSystem system)
{
    // Badge 1658 is p-1040 (patrol 5), whose commander is p-1038; no other journey files against him.
    private const string Badge = "1658";
    private static readonly string InternalAffairs = ConsoleSystem.Token("p-1011", Roles.Commander, Roles.Supervisor);

    [Fact]
    public async Task Internal_affairs_command_reads_an_officers_complaints_warning_and_intervention_over_time_and_a_sergeant_may_not()
    {
        // Two force allegations within six months cross the force policy.
        var first = await FileAgainstAsync("He slammed me against the patrol car during a traffic stop.");
        var second = await FileAgainstAsync("He pushed me to the pavement outside the station.");
        var warnings = await system.Escalation.GetUntilAsync($"/api/early-warnings?officerBadge={Badge}", InternalAffairs,
            w => w.GetArrayLength() == 1, "the early warning about badge 1658");
        var warning = warnings[0];
        Assert.Equal("force-6-months", warning.GetProperty("policyId").GetString());
        Assert.Equal(new[] { first, second }.Order(), warning.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("caseId").GetGuid()).Order());

        // His commander is told by e-mail, with a link to the page where she records her decision.
        var warningId = warning.GetProperty("warningId").GetGuid();
        var mail = await system.Smtp.WaitForAsync(m => m.IsFor("rachel.stein@riverton.example") && m.Text.Contains($"/supervisor/warnings#w-{warningId}", StringComparison.Ordinal),
            "the early-warning e-mail to the commander, with its link", ServiceHttp.FlowTimeout);
        Assert.Contains("Hannah Becker (badge 1658)", mail.Text);
        Assert.DoesNotContain(system.Smtp.To("hannah.becker@riverton.example"), m => m.Subject.StartsWith("Early warning", StringComparison.Ordinal));
        var commander = await system.SignedInAsAsync("p-1038");
        await commander.GotoAsync(new Uri(System.Text.RegularExpressions.Regex.Match(mail.Text, @"https?://\S+").Value).PathAndQuery);
        await Expect(commander.GetByRole(AriaRole.Heading, new() { Name = "Early warnings", Exact = true })).ToBeVisibleAsync();
        var card = commander.Locator($"li[data-warning='{warningId}']");
        await Expect(card).ToContainTextAsync("Hannah Becker");
        await Expect(card).ToContainTextAsync("2 complaints counted");
        await Expect(card.GetByRole(AriaRole.Link)).ToHaveCountAsync(0); // a supervisor is not told which complaints name him
        // "No intervention" without a reason is refused beside the note, and nothing is recorded.
        await card.GetByRole(AriaRole.Radio, new() { Name = "No intervention" }).CheckAsync();
        await card.GetByRole(AriaRole.Button, new() { Name = "Record the decision" }).ClickAsync();
        await Expect(card.Locator(".field-error")).ToContainTextAsync("Say why no intervention is needed");
        await Expect(card.GetByRole(AriaRole.Radio, new() { Name = "No intervention" })).ToBeCheckedAsync();
        await ConsoleSystem.ScreenshotAsync(commander, "early-warning-refused");
        // Counselling, with a note, is recorded.
        await card.GetByRole(AriaRole.Radio, new() { Name = "Counselling" }).CheckAsync();
        await card.GetByRole(AriaRole.Textbox).FillAsync("Spoke with him about de-escalation.");
        await card.GetByRole(AriaRole.Button, new() { Name = "Record the decision" }).ClickAsync();
        await ConsoleSystem.ExpectDoneAsync(commander, "Decision recorded");
        await Expect(commander.GetByTestId("no-waiting")).ToBeVisibleAsync();
        var recorded = commander.GetByTestId("recorded").Locator($"tr[data-warning='{warningId}']");
        await Expect(recorded.GetByTestId("decision")).ToHaveTextAsync("Counselling");
        await Expect(recorded).ToContainTextAsync("Rachel Stein");
        await Expect(recorded).ToContainTextAsync("Spoke with him about de-escalation.");
        await ConsoleSystem.ScreenshotAsync(commander, "early-warning-recorded");

        // Internal-affairs command gets there from the case: the allegation links to the officer's history.
        var page = await system.SignedInAsAsync("p-1011");
        await page.GotoAsync($"/cases/{first}");
        await page.GetByTestId("officer-history-link").First.ClickAsync();
        // Committed is enough: the page's own content is waited for below. (Waiting for its load event as well
        // timed out once on a loaded machine, with the history's three service calls behind it.)
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex($"/officers/{Badge}$"), new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
        await Expect(page.GetByTestId("officer")).ToContainTextAsync("Badge 1658");
        await Expect(page.GetByTestId("officer")).ToContainTextAsync("2 complaints, 2 allegations, 1 early warning");
        var timeline = page.GetByTestId("timeline");
        await Expect(timeline.Locator("tr[data-kind='complaint']")).ToHaveCountAsync(2);
        await Expect(timeline.Locator("tr[data-kind='warning']")).ToContainTextAsync("force-6-months v1");
        await Expect(timeline.Locator("tr[data-kind='intervention']")).ToContainTextAsync("counselling");
        await Expect(page.GetByTestId("warnings")).ToContainTextAsync("counselling");
        // Oldest first: the complaints, then the warning at the second one's receipt. (The intervention is stamped by
        // escalation's clock, which in this fixture is a manual one standing at its start, so it is left out of the order.)
        var kinds = await timeline.Locator("tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.kind)");
        Assert.Equal(["complaint", "complaint", "warning"], kinds.Where(k => k != "intervention"));
        var times = await timeline.Locator("tbody tr[data-kind='complaint'] time, tbody tr[data-kind='warning'] time")
            .EvaluateAllAsync<string[]>("times => times.map(t => t.getAttribute('datetime'))");
        Assert.Equal(times[1], times[2]);
        await ConsoleSystem.ScreenshotAsync(page, "officer-history");

        // The read is in the access log.
        await system.Audit.GetUntilAsync("/api/audit/access-log?userId=p-1011&limit=200", ConsoleSystem.Token("p-1004", Roles.Auditor),
            log => log.EnumerateArray().Any(r => r.GetProperty("eventType").GetString() == "officer-history-read" && r.GetProperty("userId").GetString() == "p-1011"),
            "the officer-history read is in the access log");

        // A sergeant elsewhere (not internal-affairs command) is refused.
        var sergeant = await system.SignedInAsAsync("p-1013");
        await sergeant.GotoAsync($"/officers/{Badge}");
        await Expect(sergeant.GetByTestId("denied")).ToBeVisibleAsync();
    }

    private async Task<Guid> FileAgainstAsync(string narrative)
    {
        var reply = await system.Intake.SendAsync(HttpMethod.Post, "/api/complaints", ConsoleSystem.Token("p-1007", Roles.IntakeClerk),
            System.Net.Http.Json.JsonContent.Create(new
            {
                category = "force", district = "5", channel = "phone", narrative,
                complainant = new { anonymous = true },
                allegations = new[] { new { type = "force", officerBadge = Badge } },
            }), new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString() });
        Assert.True(reply.IsSuccess, reply.ToString());
        return reply.Json.GetProperty("caseId").GetGuid();
    }
}
