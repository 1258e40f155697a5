using System.Net;
using System.Text.Json;
using Accountability.Audit.Features.Transparency;
using Accountability.Audit.Tests.Rules;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Escalation;
using Accountability.Contracts.Intake;
using Accountability.Contracts.Notification;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Audit.Tests.Service;

/// <summary>
/// The public figures over a small department with rare combinations (one complaint of a kind in a month, a unit
/// with two satisfaction answers, a month with a single complaint), recorded in a trail of its own: nothing under
/// five is published, and no two published figures subtract to one that was hidden.
/// </summary>
public sealed class TransparencyTests : IAsyncLifetime
{
    private const string Badge = "B-7731";
    private const string SuppressedText = TransparencyEndpoints.Suppressed;
    private const string Investigator = "p-1011";
    private AuditTrailHost host = null!;

    public async Task InitializeAsync() => host = await AuditTrailHost.StartAsync();

    public async Task DisposeAsync() => await host.DisposeAsync();

    private sealed record Story(int Month, string Category, string Unit = "u-ia", bool Acknowledged = true, bool Contacted = true,
        string? Finding = null, bool BreachAcknowledge = false, bool Escalated = false, int? Satisfaction = null);

    private static IEnumerable<object> Events(Story story, int day)
    {
        var caseId = Guid.NewGuid();
        var allegation = Guid.NewGuid();
        var at = new DateTimeOffset(2025, story.Month, 1 + day % 27, 9, 0, 0, TimeSpan.Zero);
        long version = 1;
        yield return new ComplaintReceived
        {
            CaseId = caseId, CaseVersion = 1, TrackingCode = "RPD-T-" + caseId.ToString("N")[..8], Category = story.Category, Channel = "web",
            SubjectOfficerBadges = [Badge], Allegations = [new ReceivedAllegation { AllegationId = allegation, Type = story.Category, OfficerBadge = Badge }],
            Anonymous = true, IntakeDeskUnitId = "u-intake-desk", ReceivedAt = at, Actor = "system:public-web", Reason = "",
        };
        yield return new CaseRouted
        {
            CaseId = caseId, CaseVersion = ++version, Actor = "system:routing", Reason = "rule", OccurredAt = at.AddMinutes(1),
            UnitId = story.Unit, ToOwnerKind = "person", ToOwnerId = Investigator,
        };
        if (story.BreachAcknowledge)
            yield return new SlaBreached
            {
                CaseId = caseId, CaseVersion = 1, Actor = "system:escalation", Reason = "not acknowledged", OccurredAt = at.AddDays(2), Clock = SlaClocks.Acknowledge,
                Percent = 100, DueAt = at.AddDays(2), OwnerKind = "person", OwnerId = Investigator, PolicyVersion = 1, Late = false, Lateness = TimeSpan.Zero,
            };
        if (story.Escalated)
            yield return new EscalationRaised
            {
                CaseId = caseId, CaseVersion = 2, Actor = "system:escalation", Reason = "breach", OccurredAt = at.AddDays(2), Clock = SlaClocks.Acknowledge,
                Level = 1, OwnerKind = "person", OwnerId = Investigator, ToPersonId = "p-1005", Outcome = "supervisor-notified", Source = "timer",
            };
        if (story.Acknowledged)
            yield return new CaseAcknowledged
            {
                CaseId = caseId, CaseVersion = ++version, Actor = Investigator, Reason = "", OccurredAt = at.AddDays(story.BreachAcknowledge ? 3 : 1),
                OwnerKind = "person", OwnerId = Investigator,
            };
        if (story.Contacted)
            yield return new ComplainantContacted
            {
                CaseId = caseId, CaseVersion = ++version, Actor = Investigator, Reason = "", OccurredAt = at.AddDays(4), OwnerKind = "person", OwnerId = Investigator,
                Method = "phone", Note = "Spoke with the complainant about the stop.",
            };
        if (story.Finding is { } finding)
            yield return new CaseResolved
            {
                CaseId = caseId, CaseVersion = ++version, Actor = Investigator, Reason = "Investigation complete", OccurredAt = at.AddDays(20),
                OwnerKind = "person", OwnerId = Investigator, Findings = [new AllegationFinding { AllegationId = allegation.ToString(), Finding = finding, AllegationType = story.Category }],
            };
        if (story.Satisfaction is { } answer)
            yield return new SatisfactionRecorded { CaseId = caseId, UnitId = story.Unit, Answer = answer, RecordedAt = at.AddDays(22) };
    }

    private static IEnumerable<Story> Many(int count, Story story) => Enumerable.Repeat(story, count);

    /// <summary>January: 12 force, 1 discourtesy (the rare one), 7 misconduct; February: 6 force, 2 abuse; March: a mix;
    /// April: nothing; May: a single complaint; June: 8 of one kind. Three escalations, a unit with two answers.</summary>
    private static List<Story> Department() =>
    [
        .. Many(9, new Story(1, "force", Finding: "not-sustained", Satisfaction: 4)),
        .. Many(3, new Story(1, "force", Finding: "sustained", Escalated: true, BreachAcknowledge: true)),
        new Story(1, "discourtesy", Unit: "u-d2", Finding: "sustained", Satisfaction: 1),
        .. Many(7, new Story(1, "misconduct", Finding: "unfounded")),
        .. Many(6, new Story(2, "force", Finding: "exonerated", Satisfaction: 2)),
        .. Many(2, new Story(2, "abuse-of-authority", Unit: "u-d2", Contacted: false, Satisfaction: 5)),
        .. Many(9, new Story(3, "force", BreachAcknowledge: true)),
        .. Many(5, new Story(3, "discourtesy")),
        .. Many(3, new Story(3, "other", Acknowledged: false)),
        new Story(5, "force", Finding: "withdrawn"),
        .. Many(8, new Story(6, "lack-of-service", Finding: "not-sustained")),
    ];

    private async Task RecordAsync(List<Story> department)
    {
        var events = department.SelectMany((story, i) => Events(story, i)).ToList();
        foreach (var message in events)
            await host.SendAsync(message);
        await Eventually.HoldsAsync(async () => await host.CountAsync() >= events.Count, $"{events.Count} records in {host.Schema}");
    }

    /// <summary>GET as JSON; a failure quotes the service's own log, where the cause of a 500 is.</summary>
    private async Task<JsonElement> GetJsonAsync(string path, string? token)
    {
        using var response = await host.GetAsync(path, token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}\n{host.Process.Output[^Math.Min(4000, host.Process.Output.Length)..]}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static CountTable Table(JsonElement json) => new(
        [.. json.GetProperty("rows").EnumerateArray().Select(r => r.GetString()!)],
        [.. json.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!)],
        [.. json.GetProperty("cells").EnumerateArray().Select(row => (IReadOnlyList<Cell>)[.. row.EnumerateArray().Select(CellOf)])],
        [.. json.GetProperty("rowTotals").EnumerateArray().Select(CellOf)],
        [.. json.GetProperty("columnTotals").EnumerateArray().Select(CellOf)],
        CellOf(json.GetProperty("total")));

    private static Cell CellOf(JsonElement cell)
    {
        var suppressed = cell.GetProperty("suppressed").GetBoolean();
        var value = cell.GetProperty("value");
        Assert.Equal(suppressed, value.ValueKind == JsonValueKind.Null);
        return new Cell(suppressed ? null : value.GetDouble(), suppressed);
    }

    [Fact]
    public async Task A_department_with_rare_combinations_publishes_nothing_under_five_nor_anything_that_subtracts_to_it()
    {
        var department = Department();
        await RecordAsync(department);

        var report = await GetJsonAsync("/api/public/transparency?from=2025-01&to=2025-06", token: null);
        var received = Table(report.GetProperty("received"));
        Assert.Equal(["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"], received.Rows);
        Assert.Equal(54, received.Total.Value);
        Assert.Equal(20, received.RowTotals[0].Value);                     // January, with its one discourtesy complaint inside
        Assert.True(received.Cells[0][received.Columns.ToList().IndexOf("discourtesy")].Suppressed);
        Assert.True(received.RowTotals[4].Suppressed);                      // May's single complaint
        Assert.Equal(0, received.RowTotals[3].Value);                      // April's nothing: a true zero picks nobody out
        foreach (var name in new[] { "received", "escalated", "findings" })
            TransparencyLeaks.AssertSafe(Table(report.GetProperty(name)), 5);
        var satisfaction = report.GetProperty("satisfaction");
        TransparencyLeaks.AssertSafe(Table(satisfaction.GetProperty("table")), 5);
        Assert.All(satisfaction.GetProperty("shareSatisfied").EnumerateArray(), s => CellOf(s));

        // Between two charts: the chart of one category is a column of the same suppressed table, so a month's
        // total less that category's count is never a small number.
        foreach (var category in ComplaintCategories.All)
        {
            var filtered = await GetJsonAsync($"/api/public/transparency?from=2025-01&to=2025-06&category={category}", token: null);
            var again = Table(filtered.GetProperty("received"));
            Assert.Equal(received.Cells.SelectMany(r => r), again.Cells.SelectMany(r => r));
            Assert.Equal(received.Total, again.Total);
            Assert.Equal(JsonSerializer.Serialize(report.GetProperty("findings")), JsonSerializer.Serialize(filtered.GetProperty("findings")));
            var column = received.Columns.ToList().IndexOf(category);
            for (var m = 0; m < received.Rows.Count; m++)
                if (received.RowTotals[m] is { Suppressed: false, Value: { } total } && received.Cells[m][column] is { Suppressed: false, Value: { } part })
                    Assert.False(total - part is > 0 and < 5, $"{received.Rows[m]}: {total} - {category} {part}");
            // Medians and shares of a category over fewer than five cases are hidden.
            foreach (var series in filtered.GetProperty("medianDays").EnumerateArray().Concat(filtered.GetProperty("withinDeadline").EnumerateArray()))
                for (var m = 0; m < received.Rows.Count; m++)
                    if (department.Count(s => s.Month == m + 1 && s.Category == category) < 5)
                        Assert.True(CellOf(series.GetProperty("byMonth")[m]).Suppressed, $"{series.GetProperty("key")} of {category} in {received.Rows[m]}");
        }

        // Medians of the months that have them, and the share within the acknowledge deadline of a month with 3 breaches of 20 is hidden.
        var acknowledge = report.GetProperty("medianDays").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "acknowledge");
        Assert.Equal(1, CellOf(acknowledge.GetProperty("byMonth")[0]).Value);
        Assert.True(CellOf(acknowledge.GetProperty("byMonth")[4]).Suppressed);
        var withinAcknowledge = report.GetProperty("withinDeadline").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "acknowledge");
        Assert.True(CellOf(withinAcknowledge.GetProperty("byMonth")[0]).Suppressed);
        Assert.Equal(100, CellOf(withinAcknowledge.GetProperty("byMonth")[1]).Value);
        Assert.Equal(36, CellOf(withinAcknowledge.GetProperty("byMonth")[2]).Value); // March: 5 of 14 measured; 3 never acknowledged

        // The CSV says the same, with "fewer than 5" where the JSON says null, and names nobody.
        using var csvResponse = await host.GetAsync("/api/public/transparency?from=2025-01&to=2025-06&format=csv", token: null);
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var csv = await csvResponse.Content.ReadAsStringAsync();
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("figure,row,column,value", lines[0]);
        Assert.Contains("complaints received,2025-01,all,20", lines);
        Assert.Contains("complaints received,2025-01,discourtesy,fewer than 5", lines);
        Assert.Contains("complaints received,2025-05,all,fewer than 5", lines);
        // Every count line (not a median or a percent) is 0, 5 or more, or says "fewer than 5" or "withheld" (a larger count hidden to protect one).
        foreach (var line in lines.Skip(1).Where(l => l.StartsWith("complaint", StringComparison.Ordinal) || l.StartsWith("allegation", StringComparison.Ordinal)))
        {
            var value = line[(line.LastIndexOf(',') + 1)..];
            Assert.True(value is SuppressedText or TransparencyEndpoints.Withheld || long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) is 0 or >= 5, line);
        }
        foreach (var text in new[] { csv, report.GetRawText() })
        {
            Assert.DoesNotContain(Badge, text);
            Assert.DoesNotContain(Investigator, text);
            Assert.DoesNotContain("Spoke with", text);
            Assert.DoesNotContain("RPD-T-", text);
        }
    }

    [Fact]
    public async Task A_bad_month_category_or_format_is_a_problem_naming_the_field_and_staff_figures_need_a_supervisor_or_commander()
    {
        foreach (var (query, field) in new[]
                 {
                     ("from=2025-13", "from"), ("to=March", "to"), ("from=2025-06&to=2025-01", "from"), ("from=2020-01&to=2025-01", "from"),
                     ("category=bribery", "category"), ("format=xml", "format"),
                 })
        {
            using var response = await host.GetAsync($"/api/public/transparency?{query}", token: null);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {text}");
        }

        using (var anonymous = await host.GetAsync("/api/transparency/units?unit=u-ia", token: null))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var investigator = await host.GetAsync("/api/transparency/units?unit=u-ia", AuditTrailHost.Investigator))
            Assert.Equal(HttpStatusCode.Forbidden, investigator.StatusCode);
        var supervisor = TestTokens.For("p-1005", ServiceDefaults.Security.Roles.Supervisor);
        var staff = await GetJsonAsync("/api/transparency/units?unit=u-ia&from=2025-01&to=2025-06", supervisor);
        Assert.Equal("u-ia", staff.GetProperty("unit").GetString());
        Assert.Equal(JsonValueKind.Array, staff.GetProperty("openLoad").ValueKind);
    }
}
