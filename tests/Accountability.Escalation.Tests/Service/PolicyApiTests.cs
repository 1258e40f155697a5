using System.Net;
using System.Text.Json;
using Accountability.Contracts.Escalation;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

[Collection("Policies")]
public sealed class PolicyApiTests(EscalationFixture fixture)
{
    private IsolatedEscalation Host => fixture.Host;

    private static object Policy(string category = "*", string priority = "urgent", int version = 2, DateTimeOffset? effectiveFrom = null,
        decimal acknowledgeHours = 4, int[]? warnAt = null) => new
    {
        category,
        priority,
        version,
        effectiveFrom,
        reason = "Staffing review 2026",
        warnAtPercent = warnAt ?? [50, 75, 90],
        clocks = new Dictionary<string, object>
        {
            [SlaClocks.Acknowledge] = new { amount = acknowledgeHours, unit = "hours" },
            [SlaClocks.HandoffAccept] = new { amount = 1, unit = "business-days" },
            [SlaClocks.FirstContact] = new { amount = 2, unit = "business-days" },
            [SlaClocks.Resolution] = new { amount = 120, unit = "days" },
            [SlaClocks.Statutory] = new { amount = 365, unit = "days" },
        },
    };

    public static TheoryData<string, int, string> BadPolicies => new()
    {
        { "negative duration", 400, "clocks.acknowledge.amount" },
        { "percentage above 100", 400, "warnAtPercent[1]" },
        { "unknown category", 400, "category" },
        { "overlapping version", 409, "version" },
    };

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public async Task A_bad_policy_gets_a_problem_naming_the_field_and_nothing_changes(string problem, int status, string field)
    {
        var body = problem switch
        {
            "negative duration" => Policy(acknowledgeHours: -1),
            "percentage above 100" => Policy(warnAt: [50, 120]),
            "unknown category" => Policy(category: "jaywalking"),
            _ => Policy(priority: "standard", version: 1),
        };
        var before = await PoliciesAsync();

        using var response = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, "/api/policies", IsolatedEscalation.AdminToken, body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, text);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
        Assert.Equal(before, await PoliciesAsync());
    }

    [Fact]
    public async Task Only_an_admin_may_add_a_policy_version()
    {
        using var response = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, "/api/policies", TestTokens.For("p-1011", Roles.Commander), Policy());
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_new_policy_version_applies_to_new_cases_and_never_moves_an_open_case_deadline()
    {
        var start = await Host.NowAsync();
        var before = await CaseScript.RoutedAsync(Host, "force", "p-1014", start);
        await Host.WaitForClockAsync(before.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1014", "the first case's clock");

        using (var created = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, "/api/policies", IsolatedEscalation.AdminToken,
                   Policy(effectiveFrom: start.AddMinutes(1))))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await Host.AdvanceAsync(TimeSpan.FromMinutes(2));
        var later = await Host.NowAsync();
        var after = await CaseScript.RoutedAsync(Host, "force", "p-1015", later);

        var newClock = await Host.WaitForClockAsync(after.CaseId, SlaClocks.Acknowledge, c => c.GetProperty("ownerId").GetString() == "p-1015", "the second case's clock");
        Assert.Equal((2, later.AddHours(4)), (newClock.GetProperty("policyVersion").GetInt32(), newClock.GetProperty("dueAt").GetDateTimeOffset()));
        var oldClock = await Host.WaitForClockAsync(before.CaseId, SlaClocks.Acknowledge, _ => true, "the first case's clock");
        Assert.Equal((1, start.AddHours(2)), (oldClock.GetProperty("policyVersion").GetInt32(), oldClock.GetProperty("dueAt").GetDateTimeOffset()));
    }

    [Fact]
    public async Task Every_policy_version_goes_into_the_trail_with_who_added_it_the_defaults_included()
    {
        const string added = """
            select count(*) from outbox where message_type like 'Accountability.Contracts.Escalation.SlaPolicyVersionAdded,%'
              and body->>'category' = @category and body->>'priority' = @priority and (body->>'version')::int = @version and body->>'actor' = @actor
            """;
        Assert.Equal(1, await Host.CountAsync(added, new { category = "*", priority = "standard", version = 1, actor = "system:defaults" }));

        var start = await Host.NowAsync();
        using (var created = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Post, "/api/policies", IsolatedEscalation.AdminToken,
                   Policy(priority: "standard", version: 2, effectiveFrom: start.AddDays(30), acknowledgeHours: 6)))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        Assert.Equal(1, await Host.CountAsync(added, new { category = "*", priority = "standard", version = 2, actor = "p-1005" }));
        Assert.Equal(1, await Host.CountAsync(
            """
            select count(*) from outbox where message_type like 'Accountability.Contracts.Escalation.SlaPolicyVersionAdded,%'
              and body->>'priority' = 'standard' and (body->>'version')::int = 2 and body->'clocks'->>'acknowledge' = '6 hours'
              and body->>'reason' = 'Staffing review 2026'
            """, new { }));
    }

    private async Task<string> PoliciesAsync()
    {
        using var response = await IsolatedEscalation.SendAsync(Host.Process, HttpMethod.Get, "/api/policies", IsolatedEscalation.AdminToken);
        return (await IsolatedEscalation.ReadAsync(response)).GetRawText();
    }
}
