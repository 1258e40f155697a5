using System.Net;
using System.Text.Json;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Audit.Tests.Service;

[Collection(nameof(SharedAuditTrail))]
public sealed class AccessAndInputTests(SharedAuditTrail trail)
{
    private AuditTrailHost Host => trail.Host;

    private async Task<Guid> RecordedCaseAsync()
    {
        var caseId = Guid.NewGuid();
        foreach (var message in CaseStory.Build(caseId, DateTimeOffset.UtcNow)[0].Events)
            await Host.SendAsync(message);
        await Host.WaitForCaseRecordsAsync(caseId, 3);
        return caseId;
    }

    [Fact]
    public async Task Only_auditors_and_admins_read_the_trail()
    {
        var caseId = await RecordedCaseAsync();
        foreach (var path in new[] { $"/api/audit/cases/{caseId}/trail", $"/api/audit/cases/{caseId}/state", $"/api/audit/cases/{caseId}/custody", "/api/audit/verify", "/api/audit/export?format=jsonl" })
        {
            using var investigator = await Host.GetAsync(path, AuditTrailHost.Investigator);
            Assert.True(investigator.StatusCode == HttpStatusCode.Forbidden, $"{path}: {investigator.StatusCode}");
            using var anonymous = await Host.GetAsync(path, null);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using var admin = await Host.GetAsync(path, AuditTrailHost.Admin);
            Assert.True(admin.StatusCode == HttpStatusCode.OK, $"{path}: {admin.StatusCode}");
        }
    }

    [Fact]
    public async Task Only_admins_rebuild_and_no_route_changes_the_trail()
    {
        using var auditor = await Host.PostAsync("/api/audit/projections/all/rebuild", AuditTrailHost.Auditor);
        Assert.Equal(HttpStatusCode.Forbidden, auditor.StatusCode);
        var caseId = await RecordedCaseAsync();
        foreach (var method in new[] { HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Post })
        {
            using var request = new HttpRequestMessage(method, $"/api/audit/cases/{caseId}/trail");
            request.Headers.Authorization = new("Bearer", AuditTrailHost.Admin);
            using var response = await Host.Process.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_malformed_asOf_is_a_validation_problem_naming_the_field()
    {
        var caseId = await RecordedCaseAsync();
        foreach (var asOf in new[] { "yesterday", "2026-13-01T00:00:00Z", "2026-03-03T14:05:00" })
        {
            using var response = await Host.GetAsync($"/api/audit/cases/{caseId}/state?asOf={Uri.EscapeDataString(asOf)}", AuditTrailHost.Auditor);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(problem.GetProperty("errors").TryGetProperty("asOf", out _), problem.ToString());
        }
        var cli = await Host.RunCliAsync("replay", caseId.ToString(), "--as-of", "yesterday");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("--as-of", cli.Error);
    }

    [Fact]
    public async Task The_CLI_shows_a_case_trail_as_a_table_with_one_row_per_step_and_its_trace_id()
    {
        var caseId = await RecordedCaseAsync();
        var steps = (await Host.GetJsonAsync($"/api/audit/cases/{caseId}/trail")).EnumerateArray().ToList();

        var cli = await Host.RunCliAsync("trail", caseId.ToString());

        Assert.True(cli.ExitCode == 0, cli.Error);
        var lines = cli.Output.Split('\n');
        Assert.Contains(lines, line => line.Contains("seq") && line.Contains("type") && line.Contains("traceId"));
        foreach (var step in steps)
        {
            var type = step.GetProperty("type").GetString()!;
            Assert.Contains(lines, line => line.Contains(type) && line.Contains(step.GetProperty("traceId").GetString() ?? "-"));
        }
    }

    [Fact]
    public async Task An_unknown_case_is_404_and_a_CLI_input_error()
    {
        var unknown = Guid.NewGuid();
        foreach (var path in new[] { "trail", "state", "custody", "state?asOf=2026-01-01T00:00:00Z" })
        {
            using var response = await Host.GetAsync($"/api/audit/cases/{unknown}/{path}", AuditTrailHost.Auditor);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains(unknown.ToString(), await response.Content.ReadAsStringAsync());
        }
        var cli = await Host.RunCliAsync("trail", unknown.ToString());
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("no record of case", cli.Error);
    }

    [Fact]
    public async Task An_export_from_later_than_to_or_in_an_unknown_format_is_refused()
    {
        using var reversed = await Host.GetAsync("/api/audit/export?format=csv&from=2026-03-04T00:00:00Z&to=2026-03-03T00:00:00Z", AuditTrailHost.Auditor);
        Assert.Equal(HttpStatusCode.BadRequest, reversed.StatusCode);
        Assert.Contains("from", await reversed.Content.ReadAsStringAsync());
        using var unknownFormat = await Host.GetAsync("/api/audit/export?format=xml", AuditTrailHost.Auditor);
        Assert.Equal(HttpStatusCode.BadRequest, unknownFormat.StatusCode);
        Assert.Contains("jsonl, csv", await unknownFormat.Content.ReadAsStringAsync());

        var cliReversed = await Host.RunCliAsync("export", "--format", "csv", "--from", "2026-03-04T00:00:00Z", "--to", "2026-03-03T00:00:00Z");
        Assert.Equal(2, cliReversed.ExitCode);
        var cliFormat = await Host.RunCliAsync("export", "--format", "xml");
        Assert.Equal(2, cliFormat.ExitCode);
        Assert.Contains("jsonl, csv", cliFormat.Error);
    }

    [Fact]
    public async Task An_export_holds_every_record_of_the_window_in_both_formats()
    {
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var caseId = await RecordedCaseAsync();
        var to = DateTimeOffset.UtcNow.AddSeconds(1);
        var window = $"from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}";

        using var jsonl = await Host.GetAsync($"/api/audit/export?format=jsonl&{window}", AuditTrailHost.Auditor);
        var lines = (await jsonl.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var mine = lines.Select(l => JsonDocument.Parse(l).RootElement).Where(r => r.GetProperty("caseId").GetString() == caseId.ToString()).ToList();
        Assert.Equal(3, mine.Count);
        Assert.All(mine, r => Assert.Equal(64, r.GetProperty("hash").GetString()!.Length));

        var csv = await Host.RunCliAsync("export", "--format", "csv", "--from", from.ToString("O"), "--to", to.ToString("O"));
        Assert.Equal(0, csv.ExitCode);
        Assert.StartsWith("globalSeq,eventId,caseId", csv.Output);
        Assert.Equal(3, csv.Output.Split('\n').Count(l => l.Contains(caseId.ToString())));
    }

    [Fact]
    public async Task The_CLI_explains_itself_and_its_exit_codes_are_distinct()
    {
        var help = await Cli.RunAsync(["--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Exit codes", help.Output);

        var verifyHelp = await Cli.RunAsync(["verify", "--help"]);
        Assert.Equal(0, verifyHelp.ExitCode);
        Assert.Contains("--public-key", verifyHelp.Output);
        Assert.Contains("Exit codes", verifyHelp.Output);

        // Each mistake exits 2 and names what was wrong, before any database is opened.
        foreach (var (args, named) in new (string[], string)[]
        {
            ([], "command"),
            (["frobnicate"], "frobnicate"),
            (["verify", "--colour", "blue"], "--colour"),
            (["verify", "--key-id", "k1"], "--key-id needs --public-key"),
            (["trail", "not-a-guid"], "not-a-guid"),
            (["replay", Guid.NewGuid().ToString()], "--as-of"),
            (["rebuild", "everything"], "Unknown projection 'everything'"),
            (["verify", "--schema", "Audit; drop"], "--schema"),
        })
        {
            var mistake = await Cli.RunAsync(args, "Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x;Timeout=2");
            Assert.True(mistake.ExitCode == 2, $"{string.Join(' ', args)}: exit {mistake.ExitCode} {mistake.Error}");
            Assert.Contains(named, mistake.Error);
            Assert.Contains("--help", mistake.Error);
        }

        var unreachable = await Cli.RunAsync(["verify"], "Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x;Timeout=2");
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Contains("Cannot connect", unreachable.Error);
        var noTrail = await Cli.RunAsync(["verify", "--schema", "no_such_audit_schema"]);
        Assert.Equal(3, noTrail.ExitCode);
    }
}
