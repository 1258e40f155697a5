using Accountability.Contracts.Escalation;
using Accountability.Escalation.Features.Policies;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.Policies;

public sealed class PolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 3, 15, 0, 0, TimeSpan.Zero);

    private static PolicyRequest Valid(string category = "*", string priority = "standard", int version = 2, DateTimeOffset? effectiveFrom = null) => new()
    {
        Category = category,
        Priority = priority,
        Version = version,
        EffectiveFrom = effectiveFrom ?? Now.AddDays(1),
        Reason = "Council resolution 2026-14",
        WarnAtPercent = [50, 75, 90],
        Clocks = SlaClocks.All.ToDictionary(c => c, _ => (ClockLimitRequest?)new ClockLimitRequest(3, ClockLimit.BusinessDays)),
    };

    [Fact]
    public void A_complete_policy_is_accepted()
    {
        var (policy, errors) = PolicyValidator.Check(Valid(), Now, "p-1005");
        Assert.Empty(errors);
        Assert.Equal(new PolicyKey("*", "standard", 2), policy!.Key);
        Assert.Equal("p-1005", policy.CreatedBy);
    }

    [Fact]
    public void A_negative_duration_is_refused_for_its_clock()
    {
        var request = Valid() with { Clocks = Valid().Clocks!.ToDictionary(c => c.Key, c => c.Key == SlaClocks.Acknowledge ? new ClockLimitRequest(-2, ClockLimit.Hours) : c.Value) };
        var (policy, errors) = PolicyValidator.Check(request, Now, "p-1005");
        Assert.Null(policy);
        Assert.Contains("clocks.acknowledge.amount", errors.Keys);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(150)]
    [InlineData(-5)]
    public void A_warning_percentage_outside_0_to_100_is_refused(int percent)
    {
        var (policy, errors) = PolicyValidator.Check(Valid() with { WarnAtPercent = [50, percent] }, Now, "p-1005");
        Assert.Null(policy);
        Assert.Contains("warnAtPercent[1]", errors.Keys);
    }

    [Fact]
    public void An_unknown_category_a_priority_a_clock_and_a_unit_are_each_named()
    {
        var clocks = Valid().Clocks!.ToDictionary(c => c.Key, c => c.Value);
        clocks["bedtime"] = new ClockLimitRequest(1, ClockLimit.Hours);
        clocks[SlaClocks.Resolution] = new ClockLimitRequest(120, "fortnights");
        var (_, errors) = PolicyValidator.Check(Valid("jaywalking", "whenever") with { Clocks = clocks }, Now, "p-1005");
        Assert.Contains("category", errors.Keys);
        Assert.Contains("priority", errors.Keys);
        Assert.Contains("clocks.bedtime", errors.Keys);
        Assert.Contains("clocks.resolution.unit", errors.Keys);
    }

    [Fact]
    public void A_version_that_overlaps_an_existing_one_is_refused()
    {
        var existing = PolicyValidator.Check(Valid(version: 1, effectiveFrom: Now.AddDays(-30)), Now, "p-1005").Policy!;
        var sameNumber = PolicyValidator.Check(Valid(version: 1), Now, "p-1005").Policy!;
        var earlierStart = PolicyValidator.Check(Valid(version: 2, effectiveFrom: Now.AddDays(-40)), Now, "p-1005").Policy!;
        Assert.Contains("version", PolicyValidator.CheckSequence(sameNumber, existing, Now).Keys);
        Assert.Contains("effectiveFrom", PolicyValidator.CheckSequence(earlierStart, existing, Now).Keys);
        Assert.Empty(PolicyValidator.CheckSequence(PolicyValidator.Check(Valid(version: 2), Now, "p-1005").Policy!, existing, Now));
    }

    [Fact]
    public void A_case_keeps_the_version_in_force_at_its_receipt_after_a_policy_change()
    {
        var v1 = PolicyValidator.Check(Valid(version: 1, effectiveFrom: Now.AddDays(-30)), Now, "p-1005").Policy!;
        var v2 = PolicyValidator.Check(Valid(version: 2, effectiveFrom: Now.AddDays(1)), Now, "p-1005").Policy!;
        var catalog = new PolicyCatalog([v1, v2]);

        var receivedBefore = Now;
        var receivedAfter = Now.AddDays(2);
        Assert.Equal(1, catalog.Resolve("force", "standard", receivedBefore)!.Version);
        Assert.Equal(2, catalog.Resolve("force", "standard", receivedAfter)!.Version);
        // The version a case pinned is still there, unchanged, after the change.
        Assert.Same(v1, catalog.Find(v1.Key));
    }

    [Fact]
    public void A_category_of_its_own_wins_over_the_catch_all()
    {
        var catchAll = PolicyValidator.Check(Valid(version: 1, effectiveFrom: Now.AddDays(-30)), Now, "p-1005").Policy!;
        var force = PolicyValidator.Check(Valid("force", version: 1, effectiveFrom: Now.AddDays(-30)), Now, "p-1005").Policy!;
        var catalog = new PolicyCatalog([catchAll, force]);
        Assert.Same(force, catalog.Resolve("force", "standard", Now));
        Assert.Same(catchAll, catalog.Resolve("discourtesy", "standard", Now));
    }

    [Fact]
    public void The_shipped_defaults_hold_the_values_of_the_issue()
    {
        var (settings, policies) = DefaultPoliciesFile.Load(RepositoryPaths.File("deploy", "escalation", "policies.json"));
        var standard = policies.Single(p => p.Priority == Priorities.Standard);
        var urgent = policies.Single(p => p.Priority == Priorities.Urgent);
        Assert.Equal(new ClockLimit(1, ClockLimit.BusinessDays), standard.Clocks[SlaClocks.Acknowledge]);
        Assert.Equal(new ClockLimit(2, ClockLimit.Hours), urgent.Clocks[SlaClocks.Acknowledge]);
        foreach (var policy in policies)
        {
            Assert.Equal(new ClockLimit(1, ClockLimit.BusinessDays), policy.Clocks[SlaClocks.HandoffAccept]);
            Assert.Equal(new ClockLimit(2, ClockLimit.BusinessDays), policy.Clocks[SlaClocks.FirstContact]);
            Assert.Equal(new ClockLimit(120, ClockLimit.Days), policy.Clocks[SlaClocks.Resolution]);
            Assert.Equal(new ClockLimit(365, ClockLimit.Days), policy.Clocks[SlaClocks.Statutory]);
            Assert.Equal([50, 75, 90], policy.WarnAtPercent);
        }
        Assert.Equal(Priorities.Urgent, Priorities.Of("discourtesy", ["misconduct"], settings.UrgentCategories));
        Assert.Equal(Priorities.Urgent, Priorities.Of("force", [], settings.UrgentCategories));
        Assert.Equal(Priorities.Standard, Priorities.Of("lack-of-service", ["discourtesy"], settings.UrgentCategories));
    }
}
