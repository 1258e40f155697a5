using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Accountability.Console.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

/// <summary>The auditor's journey (issue 12), in a real browser as the auditor, p-1004, against the six real processes.</summary>
[Collection(nameof(ConsoleSystem))]
public sealed class AuditorJourneyTests(ConsoleSystem system)
{
    private const string AuditorId = "p-1004";
    private static readonly string Auditor = ConsoleSystem.Token(AuditorId, Roles.Auditor);

    [Fact]
    public async Task An_auditor_opens_a_routed_case_by_its_number_verifies_it_alone_downloads_its_export_and_prints_its_report_with_the_signed_checkpoint()
    {
        // A complaint is filed, routed, and its investigator records a finding.
        var caseId = await system.FileAsync("force", "3", "An officer twisted my arm while I was waiting for the bus on Fifth Street.");
        var owner = await system.RoutedOwnerAsync(caseId);
        var ownerToken = ConsoleSystem.Token(owner, Roles.Investigator);
        var allegation = (await system.Assignment.GetAsync($"/api/cases/{caseId}", ownerToken)).Ok().GetProperty("allegations")[0].GetProperty("id").GetString();
        Assert.True((await system.Assignment.PostAsync($"/api/cases/{caseId}/findings", ownerToken, new { allegationId = allegation, finding = "sustained" })).IsSuccess);
        var number = (await system.Assignment.GetAsync($"/api/cases/{caseId}", ownerToken)).Ok().GetProperty("caseNumber").GetString()!;
        // Until a checkpoint covers the finding, the report could only say that none does yet.
        var verified = await system.Audit.GetUntilAsync($"/api/audit/cases/{caseId}/verify", Auditor,
            v => v.GetProperty("records").EnumerateArray().Any(r => r.GetProperty("type").GetString() == "FindingsRecorded")
                 && v.GetProperty("checkpoint").ValueKind == JsonValueKind.Object,
            "the trail holds the finding, under a signed checkpoint");
        var records = verified.GetProperty("checkedRecords").GetInt32();

        var page = await system.SignedInAsAsync(AuditorId);
        await page.GotoAsync("/audit");

        // A number that does not exist is answered next to the field, in a sentence.
        var field = page.GetByLabel("Case number or id, or a tracking code");
        await field.FillAsync("IA-1999-99999");
        await page.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Expect(page.GetByTestId("case-query-error")).ToHaveTextAsync("No case in the audit trail has the number IA-1999-99999.");
        await Expect(field).ToHaveValueAsync("IA-1999-99999");

        // The case is among the recently received, and opens by its number.
        await Expect(page.GetByTestId("recent-cases").Locator($"tr[data-case='{caseId}']")).ToContainTextAsync(number);
        await ConsoleSystem.ScreenshotAsync(page, "auditor-desk");
        await field.FillAsync(number);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Expect(page.GetByTestId("case-number")).ToHaveTextAsync(number);
        await Expect(page.GetByTestId("audit-custody")).ToContainTextAsync("routed");

        // This case alone verifies: its chain, its links into the trail, and the checkpoint over it.
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify this case" }).ClickAsync();
        var result = page.GetByTestId("case-verify-result");
        await Expect(result).ToHaveAttributeAsync("data-valid", "true");
        await Expect(result).ToContainTextAsync("This case verifies.");
        // At least the records counted above: the reads of this journey and late deliveries are recorded meanwhile.
        await Expect(page.GetByTestId("case-chain")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"intact: \d+ records"));
        var chained = int.Parse(System.Text.RegularExpressions.Regex.Match(await page.GetByTestId("case-chain").InnerTextAsync(), @"intact: (\d+) records").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(chained >= records, $"the case chain holds {chained} records, fewer than the {records} verified before");
        // A record can land after the checkpoint the API saw (this journey's own reads are in the trail); the page then says to
        // verify again in a few seconds, and the auditor does, as often as it takes.
        var checkpoint = page.GetByTestId("case-checkpoint");
        for (var attempt = 1; !(await checkpoint.InnerTextAsync()).Contains("covers the case: signature verified", StringComparison.Ordinal); attempt++)
        {
            Assert.True(attempt <= 20, $"after {attempt} verifications no checkpoint covers the case: {await checkpoint.InnerTextAsync()}");
            Assert.Contains("verify again in a few seconds", await checkpoint.InnerTextAsync(), StringComparison.Ordinal);
            await Task.Delay(TimeSpan.FromSeconds(3)); // the few seconds the page asks for
            await result.EvaluateAsync("element => element.remove()"); // so only the next page's answer can match
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify this case" }).ClickAsync();
            await Expect(result).ToHaveAttributeAsync("data-valid", "true");
        }
        await ConsoleSystem.ScreenshotAsync(page, "auditor-case-verified");

        // The export of this case holds its records, and no other case's.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-case-jsonl").ClickAsync());
        Assert.EndsWith(".jsonl", download.SuggestedFilename);
        var lines = (await File.ReadAllLinesAsync((await download.PathAsync())!)).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(lines.Count >= records, $"{lines.Count} lines for {records} records");
        Assert.All(lines, l => Assert.Equal(caseId.ToString(), l.GetProperty("caseId").GetString()));
        Assert.Contains(lines, l => l.GetProperty("type").GetString() == "CustodyTransferred");

        // The printable report: custody, findings, clocks, every record's hash and the signed checkpoint.
        await page.GetByTestId("report-link").ClickAsync();
        await Expect(page.GetByTestId("case-number")).ToHaveTextAsync(number);
        await Expect(page.GetByTestId("report-verdict")).ToHaveAttributeAsync("data-valid", "true");
        var ownerName = (await system.DirectoryAsync()).GetProperty("people").EnumerateArray()
            .Single(p => p.GetProperty("id").GetString() == owner).GetProperty("name").GetString()!;
        var custody = page.GetByTestId("report-custody");
        await Expect(custody).ToContainTextAsync("routed");
        await Expect(custody).ToContainTextAsync(ownerName);
        await Expect(page.GetByTestId("report-findings")).ToContainTextAsync("sustained");
        await Expect(page.GetByTestId("report-clocks")).ToContainTextAsync("Statutory limit");
        await Expect(page.GetByTestId("report-records").Locator("tbody tr")).ToHaveCountAsync(lines.Count);
        var checkpointHash = (await page.GetByTestId("checkpoint-hash").InnerTextAsync()).Trim();
        Assert.Matches("^[0-9a-f]{64}$", checkpointHash);
        // The printed checkpoint is one the audit service signed.
        var checkpointSeq = long.Parse((await page.GetByTestId("checkpoint-seq").InnerTextAsync()).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var signed = (await system.Audit.GetAsync("/api/audit/checkpoints", Auditor)).Ok().EnumerateArray()
            .Single(c => c.GetProperty("globalSeq").GetInt64() == checkpointSeq);
        Assert.Equal(signed.GetProperty("hash").GetString(), checkpointHash);
        var signature = (await page.GetByTestId("checkpoint-signature").InnerTextAsync()).Trim();
        Assert.Equal(signed.GetProperty("signature").GetString(), signature);
        // What the report prints is enough to check the signature later, with the public key alone.
        var payload = (await page.GetByTestId("checkpoint-payload").InnerTextAsync()).Trim();
        using (var key = ECDsa.Create())
        {
            key.ImportFromPem((await system.Audit.GetAsync("/api/audit/public-key")).Ok().GetProperty("publicKeyPem").GetString());
            Assert.True(key.VerifyData(Encoding.UTF8.GetBytes(payload), Convert.FromBase64String(signature), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
                $"the printed signature verifies over the printed payload {payload}");
        }
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Print this report" })).ToBeVisibleAsync();
        await ConsoleSystem.ScreenshotAsync(page, "auditor-report");

        // On paper: the report alone, without the console's header or the button.
        await page.SetViewportSizeAsync(794, 1123); // an A4 sheet at 96 dpi
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        await Expect(page.Locator(".site-header")).ToBeHiddenAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Print this report" })).ToBeHiddenAsync();
        await Expect(page.GetByTestId("report-checkpoint")).ToBeVisibleAsync();
        await ConsoleSystem.ScreenshotAsync(page, "auditor-report-print");

        // Every look the auditor took at the case is in the access log.
        await system.Audit.GetUntilAsync($"/api/audit/access-log?caseId={caseId}&userId={AuditorId}&limit=1000", Auditor,
            log => new[] { "trail-read", "case-verify", "case-export", "state-read", "custody-read" }.All(type =>
                log.EnumerateArray().Any(r => r.GetProperty("eventType").GetString() == type && r.GetProperty("outcome").GetString() == "granted")),
            "the auditor's reads, verify and export of the case are in the access log");
        // The report's clocks came from escalation, which logged that read itself.
        await system.Audit.GetUntilAsync($"/api/audit/access-log?caseId={caseId}&userId={AuditorId}&limit=1000", Auditor,
            log => log.EnumerateArray().Any(r => r.GetProperty("component").GetString() == "escalation" && r.GetProperty("eventType").GetString() == "clocks-read"),
            "escalation's record of the auditor's clocks read");
        Assert.Matches(new Regex("^Case report "), await page.TitleAsync());
    }
}
