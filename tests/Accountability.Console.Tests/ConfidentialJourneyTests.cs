using System.Text.RegularExpressions;
using Accountability.Console.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

/// <summary>
/// Confidential cases (issue 12) in a real browser: internal-affairs command (p-1011) names a team on the case page;
/// the team sees the case with a banner saying who may see it, the owner's own sergeant finds no such case, and the
/// dispatch board keeps only the row's number, owner and status.
/// </summary>
[Collection(nameof(ConsoleSystem))]
public sealed class ConfidentialJourneyTests(ConsoleSystem system)
{
    private static readonly string[] Investigators = ["p-1014", "p-1015", "p-1016", "p-1018", "p-1019", "p-1020", "p-1021"];

    [Fact]
    public async Task Internal_affairs_command_marks_a_case_confidential_the_named_investigator_sees_the_banner_and_the_owners_sergeant_finds_nothing()
    {
        var caseId = await system.FileAsync("force", "2", "An officer struck my brother at the station; his uncle is a captain.", subjectOfficers: ["1569"]);
        var owner = await system.RoutedOwnerAsync(caseId);
        var directory = await system.DirectoryAsync();
        string Field(string personId, string field) => directory.GetProperty("people").EnumerateArray()
            .Single(p => p.GetProperty("id").GetString() == personId).GetProperty(field).GetString()!;
        // An internal-affairs supervisor who is not named: the owner's own sergeant, unless routing gave the case to a
        // sergeant (whose superior is internal-affairs command itself), then the other sergeant.
        var sergeant = Field(owner, "supervisorId") is var above && above != "p-1011" ? above : new[] { "p-1012", "p-1013" }.First(p => p != owner);
        var named = Investigators.First(p => p != owner && Field(p, "supervisorId") != sergeant);

        // Internal-affairs command marks it confidential from the case page.
        var commander = await system.SignedInAsAsync("p-1011");
        await commander.GotoAsync($"/cases/{caseId}");
        var form = commander.GetByTestId("confidential-form");
        await Expect(form).ToContainTextAsync("Mark confidential");
        await form.GetByTestId("confidential-team-select").SelectOptionAsync(new[] { named });
        await form.Locator("textarea[name=reason]").FillAsync("The complainant's family includes a serving captain.");
        await ConsoleSystem.ScreenshotAsync(commander, "confidential-mark-form");
        await form.GetByRole(AriaRole.Button, new() { Name = "Mark confidential" }).ClickAsync();
        await Expect(commander.GetByTestId("confidential-banner")).ToContainTextAsync("Confidential: visible only to");
        await Expect(commander.GetByTestId("confidential-team")).ToContainTextAsync(Field(named, "name"));
        await Expect(commander.GetByTestId("confidential-team")).ToContainTextAsync($"{Field(owner, "name")} (owner)");

        // The named investigator sees the case, the narrative and who else may see it.
        var investigator = await system.SignedInAsAsync(named);
        var read = await investigator.GotoAsync($"/cases/{caseId}");
        Assert.Equal(200, read!.Status);
        var banner = investigator.GetByTestId("confidential-banner");
        await Expect(banner).ToContainTextAsync($"Confidential: visible only to");
        await Expect(banner).ToContainTextAsync("internal-affairs command and auditors");
        await Expect(banner).ToContainTextAsync("The complainant's family includes a serving captain.");
        await Expect(investigator.GetByTestId("narrative")).ToContainTextAsync("his uncle is a captain");
        await ConsoleSystem.ScreenshotAsync(investigator, "confidential-case");

        // The owner's sergeant, not named, gets what anyone gets for a case that does not exist.
        var unnamed = await system.SignedInAsAsync(sergeant);
        var hidden = await unnamed.GotoAsync($"/cases/{caseId}");
        Assert.True(hidden!.Status == 404, $"{sergeant}: {hidden.Status} {await unnamed.GetByRole(AriaRole.Main).InnerTextAsync()}");
        await Expect(unnamed.GetByTestId("problem")).ToContainTextAsync(new Regex("No such case", RegexOptions.IgnoreCase));
        Assert.DoesNotContain("uncle", await unnamed.ContentAsync());

        // The dispatcher's board row says "Confidential" and nothing of what or where.
        var number = (await system.Assignment.GetAsync($"/api/cases/{caseId}", ConsoleSystem.Token("p-1004", Roles.Auditor))).Ok().GetProperty("caseNumber").GetString()!;
        var dispatcher = await system.SignedInAsAsync("p-1009");
        await dispatcher.GotoAsync($"/board?number={Uri.EscapeDataString(number)}&status=all");
        var row = dispatcher.Locator($"tr[data-case='{caseId}']");
        await Expect(row.GetByTestId("confidential")).ToHaveTextAsync("Confidential");
        await Expect(row).Not.ToContainTextAsync("force");
        await Expect(row.GetByTestId("owner")).ToContainTextAsync(Field(owner, "name"));
        await ConsoleSystem.ScreenshotAsync(dispatcher, "confidential-board-row");
    }
}
