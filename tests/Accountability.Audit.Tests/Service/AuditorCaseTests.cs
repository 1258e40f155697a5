using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Accountability.Audit.Features.Cases;
using Accountability.Audit.Verification;
using Accountability.Contracts.Intake;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>The auditor's journey through the API (issue 12): find one case, verify it alone, export it.</summary>
[Collection(nameof(SharedAuditTrail))]
public sealed class AuditorCaseTests(SharedAuditTrail trail)
{
    private const string TrackingAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    private AuditTrailHost Host => trail.Host;

    private sealed record RecordedCase(Guid CaseId, string Number, string TrackingCode, int Records);

    /// <summary>A whole custody story, its receipt carrying a case number and a real-looking tracking code.</summary>
    private async Task<RecordedCase> RecordCaseAsync()
    {
        var caseId = Guid.NewGuid();
        var number = $"IA-2026-{RandomNumberGenerator.GetInt32(100_000_000, 999_999_999)}";
        var symbols = new string([.. Enumerable.Range(0, 16).Select(_ => TrackingAlphabet[RandomNumberGenerator.GetInt32(TrackingAlphabet.Length)])]);
        var code = $"RPD-{symbols[..4]}-{symbols[4..8]}-{symbols[8..12]}-{symbols[12..]}";
        var events = CaseStory.Build(caseId, DateTimeOffset.UtcNow).SelectMany(s => s.Events)
            .Select(e => e is ComplaintReceived received ? received with { CaseNumber = number, TrackingCode = code } : e).ToList();
        foreach (var message in events)
            await Host.SendAsync(message);
        await Host.WaitForCaseRecordsAsync(caseId, events.Count);
        return new RecordedCase(caseId, number, code, events.Count);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_case_is_found_by_its_number_or_by_its_tracking_code_as_a_person_types_it_and_is_listed_among_the_newest()
    {
        var recorded = await RecordCaseAsync();

        var byNumber = Assert.Single((await Host.GetJsonAsync($"/api/audit/cases?number={recorded.Number.ToLowerInvariant()}")).EnumerateArray());
        Assert.Equal(recorded.CaseId, byNumber.GetProperty("caseId").GetGuid());
        Assert.Equal(recorded.Number, byNumber.GetProperty("caseNumber").GetString());
        Assert.Equal("resolved", byNumber.GetProperty("status").GetString()); // the story ends resolved a second time
        Assert.Equal(CaseStory.SecondInvestigator, byNumber.GetProperty("owner").GetProperty("id").GetString());

        // Lower case, spaces for hyphens, no prefix: as it is read out on the phone.
        var typed = recorded.TrackingCode["RPD-".Length..].Replace('-', ' ').ToLowerInvariant();
        var byCode = Assert.Single((await Host.GetJsonAsync($"/api/audit/cases?trackingCode={Uri.EscapeDataString(typed)}")).EnumerateArray());
        Assert.Equal(recorded.CaseId, byCode.GetProperty("caseId").GetGuid());

        var newest = (await Host.GetJsonAsync("/api/audit/cases?limit=200")).EnumerateArray().ToList();
        Assert.Contains(newest, c => c.GetProperty("caseId").GetGuid() == recorded.CaseId);
        var received = newest.Select(c => c.GetProperty("receivedAt").GetDateTimeOffset()).ToList();
        Assert.Equal(received.OrderDescending(), received);

        // The state names the case too, so a page can head itself with the number.
        Assert.Equal(recorded.Number, (await Host.GetJsonAsync($"/api/audit/cases/{recorded.CaseId}/state")).GetProperty("caseNumber").GetString());
    }

    [Fact]
    public async Task An_unknown_number_a_malformed_number_or_code_and_a_malformed_case_id_are_problems_naming_the_field()
    {
        var recorded = await RecordCaseAsync();
        var cases = new (string Path, HttpStatusCode Status, string Field, string Reason)[]
        {
            ("/api/audit/cases?number=IA-1999-424242", HttpStatusCode.NotFound, "number", "No case in the audit trail has the number IA-1999-424242."),
            ("/api/audit/cases?number=IA%202026%2F42!", HttpStatusCode.BadRequest, "number", CaseFinder.NumberExpected),
            ("/api/audit/cases?trackingCode=RPD-1234", HttpStatusCode.BadRequest, "trackingCode", CaseFinder.TrackingCodeExpected),
            ("/api/audit/cases?trackingCode=RPD-0000-0000-0000-0000", HttpStatusCode.NotFound, "trackingCode", "No case in the audit trail has this tracking code."),
            ($"/api/audit/cases?number={recorded.Number}&trackingCode={recorded.TrackingCode}", HttpStatusCode.BadRequest, "trackingCode", "not both"),
            ("/api/audit/cases?limit=0", HttpStatusCode.BadRequest, "limit", "between 1 and 200"),
            ("/api/audit/cases/IA-2026-00042/verify", HttpStatusCode.BadRequest, "caseId", "Must be a case id"),
            ("/api/audit/cases/not-a-case/export?format=csv", HttpStatusCode.BadRequest, "caseId", "Must be a case id"),
            ("/api/audit/cases/12345/trail", HttpStatusCode.BadRequest, "caseId", "Must be a case id"),
            ($"/api/audit/cases/{recorded.CaseId}/export?format=xml", HttpStatusCode.BadRequest, "format", "jsonl, csv"),
        };
        foreach (var (path, status, field, reason) in cases)
        {
            using var response = await Host.GetAsync(path, AuditTrailHost.Auditor);
            var problem = await ProblemAsync(response, status);
            var reasons = problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out var named) ? named[0].GetString() : null;
            Assert.True(reasons is not null && reasons.Contains(reason, StringComparison.Ordinal), $"{path}: {problem}");
        }

        var unknown = Guid.NewGuid();
        foreach (var path in new[] { $"/api/audit/cases/{unknown}/verify", $"/api/audit/cases/{unknown}/export?format=jsonl" })
        {
            using var response = await Host.GetAsync(path, AuditTrailHost.Auditor);
            Assert.Contains(unknown.ToString(), (await ProblemAsync(response, HttpStatusCode.NotFound)).GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_case_verifies_alone_its_chain_linked_into_the_global_trail_and_covered_by_a_checkpoint_whose_signature_holds()
    {
        var recorded = await RecordCaseAsync();

        var result = await Eventually.ReturnsAsync(() => Host.GetJsonAsync($"/api/audit/cases/{recorded.CaseId}/verify"),
            r => r.GetProperty("checkpoint").ValueKind == JsonValueKind.Object, "a checkpoint covers the case");

        Assert.True(result.GetProperty("valid").GetBoolean(), result.ToString());
        Assert.Equal("intact", result.GetProperty("caseChain").GetString());
        Assert.Equal("linked", result.GetProperty("globalTrail").GetString());
        Assert.Equal(recorded.Records, result.GetProperty("checkedRecords").GetInt32());
        var records = result.GetProperty("records").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, recorded.Records).Select(i => (long)i), records.Select(r => r.GetProperty("caseSeq").GetInt64()));
        for (var i = 1; i < records.Count; i++)
            Assert.Equal(records[i - 1].GetProperty("hash").GetString(), records[i].GetProperty("casePrevHash").GetString());

        // The checkpoint printed with the report is one the service signed, and checks with the public key alone.
        var checkpoint = result.GetProperty("checkpoint");
        Assert.True(checkpoint.GetProperty("verified").GetBoolean());
        Assert.True(checkpoint.GetProperty("globalSeq").GetInt64() >= records[^1].GetProperty("globalSeq").GetInt64());
        var publicKey = await Host.GetJsonAsync("/api/audit/public-key", token: null);
        using var key = CheckpointSignature.ImportPublicKey(publicKey.GetProperty("publicKeyPem").GetString()!);
        var signed = new Checkpoint(checkpoint.GetProperty("globalSeq").GetInt64(), Convert.FromHexString(checkpoint.GetProperty("hash").GetString()!),
            checkpoint.GetProperty("keyId").GetString()!, checkpoint.GetProperty("signedAt").GetDateTimeOffset(),
            Convert.FromBase64String(checkpoint.GetProperty("signature").GetString()!));
        Assert.True(CheckpointSignature.Verify(key, signed));
        Assert.Contains($"covered by the checkpoint signed at record {signed.GlobalSeq}", result.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_export_of_one_case_holds_that_case_s_records_and_no_other_in_both_formats()
    {
        var recorded = await RecordCaseAsync();
        await RecordCaseAsync(); // a neighbour, which must not leak into the export

        using var jsonl = await Host.GetAsync($"/api/audit/cases/{recorded.CaseId}/export?format=jsonl", AuditTrailHost.Auditor);
        Assert.Equal("application/jsonl", jsonl.Content.Headers.ContentType?.MediaType);
        var lines = (await jsonl.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(recorded.Records, lines.Count);
        Assert.All(lines, r => Assert.Equal(recorded.CaseId.ToString(), r.GetProperty("caseId").GetString()));
        Assert.Equal(Enumerable.Range(1, recorded.Records).Select(i => (long)i), lines.Select(r => r.GetProperty("caseSeq").GetInt64()));

        // The export is the evidence: each line's hash is the one verify reports for that record.
        var verified = (await Host.GetJsonAsync($"/api/audit/cases/{recorded.CaseId}/verify")).GetProperty("records").EnumerateArray()
            .Select(r => r.GetProperty("hash").GetString());
        Assert.Equal(verified, lines.Select(r => r.GetProperty("hash").GetString()));

        using var csv = await Host.GetAsync($"/api/audit/cases/{recorded.CaseId}/export?format=csv", AuditTrailHost.Auditor);
        var rows = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("globalSeq,eventId,caseId", rows[0]);
        Assert.Equal(recorded.Records, rows.Skip(1).Count(r => r.Contains(recorded.CaseId.ToString())));
        Assert.Equal(recorded.Records + 1, rows.Length);
    }

    [Fact]
    public async Task Only_auditors_and_admins_find_verify_or_export_a_case_and_each_look_is_in_the_access_log()
    {
        var recorded = await RecordCaseAsync();
        var paths = new[] { $"/api/audit/cases?number={recorded.Number}", $"/api/audit/cases/{recorded.CaseId}/verify", $"/api/audit/cases/{recorded.CaseId}/export?format=csv" };
        foreach (var path in paths)
        {
            using var investigator = await Host.GetAsync(path, AuditTrailHost.Investigator);
            Assert.True(investigator.StatusCode == HttpStatusCode.Forbidden, $"{path}: {investigator.StatusCode}");
            using var anonymous = await Host.GetAsync(path, null);
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {anonymous.StatusCode}");
            using var admin = await Host.GetAsync(path, AuditTrailHost.Admin);
            Assert.True(admin.StatusCode == HttpStatusCode.OK, $"{path}: {admin.StatusCode}");
            using var auditor = await Host.GetAsync(path, AuditTrailHost.Auditor);
            Assert.True(auditor.StatusCode == HttpStatusCode.OK, $"{path}: {auditor.StatusCode}");
        }

        // The auditor's verify and export of this case, and the refused investigator, are in the access log.
        var log = await Eventually.ReturnsAsync(
            async () => (await Host.GetJsonAsync($"/api/audit/access-log?caseId={recorded.CaseId}&limit=1000")).EnumerateArray().ToList(),
            records => new[] { "case-verify", "case-export" }.All(type =>
                records.Any(r => r.GetProperty("eventType").GetString() == type && r.GetProperty("userId").GetString() == "p-1004" && r.GetProperty("outcome").GetString() == "granted")
                && records.Any(r => r.GetProperty("eventType").GetString() == type && r.GetProperty("userId").GetString() == "p-1014" && r.GetProperty("outcome").GetString() == "denied")),
            "the auditor's and the investigator's looks at the case reach the access log");
        Assert.All(log, r => Assert.Equal("audit", r.GetProperty("component").GetString()));
        // A search is logged without its terms (the resource is the path alone), and without a case.
        var searches = await Eventually.ReturnsAsync(
            async () => (await Host.GetJsonAsync("/api/audit/access-log?userId=p-1004&limit=1000")).EnumerateArray()
                .Where(r => r.GetProperty("eventType").GetString() == "case-list").ToList(),
            records => records.Count > 0, "the auditor's search reaches the access log");
        Assert.All(searches, r => Assert.Equal("/api/audit/cases", r.GetProperty("resource").GetString()));
    }
}
