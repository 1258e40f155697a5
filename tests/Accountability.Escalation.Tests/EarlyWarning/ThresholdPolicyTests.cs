using Accountability.Escalation.Features.EarlyWarning;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.EarlyWarning;

public sealed class ThresholdPolicyTests
{
    private static ThresholdPolicies Load(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"early-warning-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try
        {
            return ThresholdPolicyFile.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_shipped_file_holds_the_four_examples_of_the_issue()
    {
        var policies = ThresholdPolicyFile.Load(RepositoryPaths.File("deploy", "escalation", "early-warning.json"));
        Assert.Equal(["complaints-12-months", "force-6-months", "patrol-1-discourtesy", "sustained-serious"], policies.Ids.Order(StringComparer.Ordinal));
        Assert.Equal(3, policies.InForce("complaints-12-months", DateTimeOffset.UtcNow)!.Threshold);
        Assert.Equal(new CountWindow(6, CountWindow.Months), policies.InForce("force-6-months", DateTimeOffset.UtcNow)!.Window);
        Assert.Equal("u-patrol-1", policies.InForce("patrol-1-discourtesy", DateTimeOffset.UtcNow)!.UnitId);
        Assert.Equal(["sustained"], policies.InForce("sustained-serious", DateTimeOffset.UtcNow)!.Findings);
    }

    [Fact]
    public void A_bad_window_unit_stops_the_load_naming_the_field()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => Load(
            """{ "policies": [ { "id": "c", "version": 1, "effectiveFrom": "2020-01-01T00:00:00Z", "kind": "complaints", "threshold": 3, "window": { "amount": 12, "unit": "fortnights" }, "reason": "r" } ] }"""));
        Assert.Contains("policies[0].window.unit", failure.Message);
    }

    [Fact]
    public void Every_problem_of_every_entry_is_named_by_its_path()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => Load(
            """
            { "policies": [
              { "id": "Bad Id", "version": 0, "kind": "complaints", "threshold": 0, "reason": "" },
              { "id": "f", "version": 1, "effectiveFrom": "2020-01-01T00:00:00Z", "kind": "finding", "findings": ["guilty"], "allegationTypes": ["jaywalking"], "threshold": 2, "reason": "r" }
            ] }
            """));
        foreach (var field in new[] { "policies[0].id", "policies[0].version", "policies[0].effectiveFrom", "policies[0].threshold", "policies[0].window", "policies[0].reason",
                     "policies[1].findings[0]", "policies[1].allegationTypes[0]", "policies[1].threshold" })
            Assert.Contains(field + ":", failure.Message);
    }

    [Fact]
    public void Versions_of_one_policy_must_follow_each_other_in_number_and_time()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => Load(
            """
            { "policies": [
              { "id": "c", "version": 1, "effectiveFrom": "2024-01-01T00:00:00Z", "kind": "complaints", "threshold": 3, "window": { "amount": 12, "unit": "months" }, "reason": "r" },
              { "id": "c", "version": 2, "effectiveFrom": "2023-01-01T00:00:00Z", "kind": "complaints", "threshold": 2, "window": { "amount": 12, "unit": "months" }, "reason": "r" },
              { "id": "d", "version": 2, "effectiveFrom": "2024-01-01T00:00:00Z", "kind": "complaints", "threshold": 2, "window": { "amount": 12, "unit": "months" }, "reason": "r" }
            ] }
            """));
        Assert.Contains("'c' version 2 must take effect after version 1", failure.Message);
        Assert.Contains("'d' version 2 does not follow version 0", failure.Message);
    }

    [Fact]
    public void An_unknown_field_stops_the_load_rather_than_being_ignored()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => Load(
            """{ "policies": [ { "id": "c", "version": 1, "effectiveFrom": "2020-01-01T00:00:00Z", "kind": "complaints", "treshold": 3, "window": { "amount": 12, "unit": "months" }, "reason": "r" } ] }"""));
        Assert.Contains("treshold", failure.Message);
    }

    [Fact]
    public void The_version_in_force_at_an_instant_is_the_latest_that_had_started()
    {
        var policies = Load(
            """
            { "policies": [
              { "id": "c", "version": 1, "effectiveFrom": "2020-01-01T00:00:00Z", "kind": "complaints", "threshold": 3, "window": { "amount": 12, "unit": "months" }, "reason": "r" },
              { "id": "c", "version": 2, "effectiveFrom": "2026-01-01T00:00:00Z", "kind": "complaints", "threshold": 2, "window": { "amount": 12, "unit": "months" }, "reason": "r" }
            ] }
            """);
        Assert.Equal(1, policies.InForce("c", new DateTimeOffset(2025, 12, 31, 23, 0, 0, TimeSpan.Zero))!.Version);
        Assert.Equal(2, policies.InForce("c", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))!.Version);
        Assert.Null(policies.InForce("c", new DateTimeOffset(2019, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    }
}

public sealed class ThresholdPolicyStartTests
{
    [Fact]
    public async Task A_bad_threshold_policy_file_stops_the_escalation_service_from_starting_naming_the_field()
    {
        var path = Path.Combine(Path.GetTempPath(), $"early-warning-bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path,
            """{ "policies": [ { "id": "c", "version": 1, "effectiveFrom": "2020-01-01T00:00:00Z", "kind": "complaints", "threshold": 0, "window": { "amount": 12, "unit": "months" }, "reason": "r" } ] }""");
        try
        {
            await using var process = await ServiceProcess.StartAsync("Escalation", new Dictionary<string, string>
            {
                ["Escalation__EarlyWarningPath"] = path,
                ["Escalation__Schema"] = $"esc_bad_{Guid.NewGuid():N}"[..20],
                ["Escalation__GapMonitorEnabled"] = "false",
            }, waitUntilReady: false);
            await Eventually.HoldsAsync(() => process.HasExited, "the service refuses to start", TimeSpan.FromMinutes(2));
            Assert.Contains("policies[0].threshold: Must be a whole number from 1 to 1000.", process.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
