using System.Text.RegularExpressions;
using Accountability.Console.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

/// <summary>The public transparency dashboard (issue 16) and the staff dashboard built on the same figures.</summary>
[Collection(nameof(ConsoleSystem))]
public sealed class TransparencyPagesTests(ConsoleSystem system)
{
    private const string FewerThanFive = "fewer than 5";
    private static readonly string Auditor = ConsoleSystem.Token("p-1004", Roles.Auditor);

    /// <summary>Files complaints and waits until the audit trail has received every one.</summary>
    private async Task FileAndRecordAsync(string category, int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
            ids.Add(await system.FileAsync(category, "2", $"Transparency test complaint {i + 1} about {category}."));
        await system.Audit.GetUntilAsync("/api/audit/cases?limit=200", Auditor,
            cases => ids.All(id => cases.EnumerateArray().Any(c => c.GetProperty("caseId").GetGuid() == id)), $"{count} {category} complaints in the trail");
    }

    /// <summary>A count in a table reads "fewer than 5" or "withheld", or is 0 or a number of at least 5.</summary>
    private static void AssertNoSmallCount(string text, string where)
    {
        var value = text.Trim();
        if (value.StartsWith(FewerThanFive, StringComparison.Ordinal) || value == "withheld")
            return;
        Assert.True(long.TryParse(value.Replace(",", ""), out var count) && count is 0 or >= 5, $"{where} shows '{value}'");
    }

    [Fact]
    public async Task A_member_of_the_public_on_a_phone_sees_complaint_figures_with_small_counts_shown_as_fewer_than_5_and_downloads_them_as_csv()
    {
        // Two complaints of a kind nobody else files here: a real count of 1 to 4 that must never be shown.
        await FileAndRecordAsync("offensive-language", 2);
        await FileAndRecordAsync("lack-of-service", 6);
        await FileAndRecordAsync("discourtesy", 5);

        var page = await system.OpenAsync(phone: true);
        await page.SetViewportSizeAsync(375, 812);
        var refused = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) refused.Add(message.Text); };
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Complaint figures" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "How we handle complaints about the police" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("privacy-note")).ToContainTextAsync("fewer than 5");

        // Each chart has its table; the kind with two complaints says "fewer than 5", never 2.
        var byKind = page.GetByTestId("table-received-by-kind");
        await Expect(page.GetByTestId("chart-received-by-kind").Locator("svg[role=img]")).ToBeVisibleAsync();
        await Expect(byKind.Locator("tr", new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = "Offensive language" }) }).Locator("td"))
            .ToHaveTextAsync("fewer than 5");
        foreach (var table in new[] { "received-by-month", "received-by-kind", "findings", "escalated" })
            foreach (var cell in await page.GetByTestId($"table-{table}").Locator("tbody td").AllInnerTextsAsync())
                AssertNoSmallCount(cell, table);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "The dashboard is wider than a 375 px phone.");
        await ConsoleSystem.ScreenshotAsync(page, "transparency-phone", fullPage: false);
        await page.GetByTestId("chart-received-by-kind").ScrollIntoViewIfNeededAsync();
        await ConsoleSystem.ScreenshotAsync(page, "transparency-phone-chart", fullPage: false);

        // The CSV holds every figure, with the same words for what is hidden.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("csv-download").ClickAsync());
        Assert.EndsWith(".csv", download.SuggestedFilename);
        var lines = (await File.ReadAllLinesAsync((await download.PathAsync())!)).Where(l => l.Length > 0).ToList();
        Assert.Equal("figure,row,column,value", lines[0]);
        Assert.Contains("complaints received,all,offensive-language,fewer than 5", lines);
        Assert.Contains(lines, l => l.StartsWith("median days to acknowledge,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("percent within resolution deadline,", StringComparison.Ordinal));
        foreach (var line in lines.Where(l => l.StartsWith("complaint", StringComparison.Ordinal) || l.StartsWith("allegation", StringComparison.Ordinal)))
            AssertNoSmallCount(line[(line.LastIndexOf(',') + 1)..], line);
        Assert.DoesNotContain(lines, l => l.Contains("Transparency test complaint", StringComparison.Ordinal));
        Assert.Empty(refused);

        var desktop = await system.OpenAsync();
        await desktop.GotoAsync("/transparency");
        await Expect(desktop.GetByTestId("chart-received-by-month")).ToBeVisibleAsync();
        await ConsoleSystem.ScreenshotAsync(desktop, "transparency");
        await desktop.EmulateMediaAsync(new() { Media = Media.Print });
        await Expect(desktop.GetByTestId("csv-download")).ToBeHiddenAsync();
        await ConsoleSystem.ScreenshotAsync(desktop, "transparency-print");
    }

    [Fact]
    public async Task A_period_with_no_complaints_says_so_plainly_and_a_bad_month_is_refused_with_its_reason()
    {
        var page = await system.OpenAsync(phone: true);
        await page.GotoAsync("/transparency?from=2001-01&to=2001-03");
        await Expect(page.GetByTestId("transparency-empty")).ToContainTextAsync("No complaints yet for January 2001 to March 2001");
        await Expect(page.GetByTestId("chart-received-by-month")).ToHaveCountAsync(0);
        await ConsoleSystem.ScreenshotAsync(page, "transparency-empty");

        await page.GotoAsync("/transparency?from=2026-13");
        await Expect(page.GetByTestId("problem")).ToContainTextAsync(new Regex("From month: Must be a month as yyyy-MM"));
    }

    [Fact]
    public async Task A_commander_sees_a_units_charts_with_its_open_load_and_the_public_is_sent_to_sign_in()
    {
        await FileAndRecordAsync("force", 1);
        var anonymous = await system.OpenAsync();
        await anonymous.GotoAsync("/supervisor/dashboard");
        await Expect(anonymous).ToHaveURLAsync(new Regex("/signin"));

        var page = await system.SignedInAsAsync("p-1011");
        await page.GetByRole(AriaRole.Link, new() { Name = "Unit dashboard" }).ClickAsync();
        await page.GetByTestId("unit-picker").SelectOptionAsync("u-internal-affairs");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Unit dashboard: Internal Affairs Division" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("open-load")).ToContainTextAsync("Internal Affairs Division");
        await Expect(page.GetByTestId("chart-within-acknowledge")).ToBeVisibleAsync();
        await ConsoleSystem.ScreenshotAsync(page, "unit-dashboard");

        // An investigator has no dashboard.
        var investigator = await system.SignedInAsAsync("p-1014");
        await investigator.GotoAsync("/supervisor/dashboard");
        await Expect(investigator.GetByRole(AriaRole.Heading, new() { Name = "Unit dashboard" })).ToHaveCountAsync(0);
    }
}
