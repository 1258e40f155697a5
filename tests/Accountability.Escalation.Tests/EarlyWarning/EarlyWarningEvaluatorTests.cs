using Accountability.Escalation.Features.EarlyWarning;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.EarlyWarning;

public sealed class EarlyWarningEvaluatorTests
{
    private static readonly ThresholdPolicies Shipped = ThresholdPolicyFile.Load(RepositoryPaths.File("deploy", "escalation", "early-warning.json"));
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private static CountedAllegation Complaint(int days, string type = "discourtesy", string? finding = null, int findingDays = 0, string[]? subjects = null) =>
        new(Guid.NewGuid(), Guid.NewGuid().ToString(), type, Start.AddDays(days), null, subjects ?? ["1569"], finding, finding is null ? null : Start.AddDays(findingDays));

    private static IReadOnlyList<WarningDecision> Evaluate(IReadOnlyList<CountedAllegation> allegations, IReadOnlyList<PriorWarning>? prior = null, string? unit = "u-patrol-2") =>
        EarlyWarningEvaluator.Evaluate("1569", unit, allegations, prior ?? [], Shipped);

    [Fact]
    public void The_third_complaint_within_twelve_months_raises_one_warning_at_its_receipt()
    {
        var allegations = new[] { Complaint(0), Complaint(100), Complaint(200) };
        var warning = Assert.Single(Evaluate(allegations));
        Assert.Equal("complaints-12-months", warning.PolicyId);
        Assert.Equal(allegations[2].At, warning.At);
        Assert.Equal(allegations.Select(a => a.CaseId).Order(), warning.Counted.Select(a => a.CaseId).Order());
    }

    [Fact]
    public void A_fourth_complaint_inside_the_window_of_the_warning_does_not_repeat_it()
    {
        var first = Evaluate([Complaint(0), Complaint(100), Complaint(200)]);
        var prior = first.Select(w => new PriorWarning(w.PolicyId, w.At, EarlyWarningEvaluator.Keys(w.Counted))).ToList();
        Assert.Empty(Evaluate([Complaint(0), Complaint(100), Complaint(200), Complaint(250)], prior));
    }

    [Fact]
    public void Complaints_spread_wider_than_the_window_raise_nothing()
    {
        Assert.Empty(Evaluate([Complaint(0), Complaint(200), Complaint(400)]));
    }

    [Fact]
    public void A_new_crossing_after_the_window_of_the_first_warning_raises_a_second_one()
    {
        var warnings = Evaluate([Complaint(0), Complaint(10), Complaint(20), Complaint(400), Complaint(410), Complaint(420)]);
        Assert.Equal([Start.AddDays(20), Start.AddDays(420)], warnings.Select(w => w.At));
    }

    [Fact]
    public void Two_force_allegations_in_six_months_raise_the_force_policy_and_not_the_complaint_count()
    {
        var warning = Assert.Single(Evaluate([Complaint(0, "force"), Complaint(150, "force")]));
        Assert.Equal("force-6-months", warning.PolicyId);
        Assert.Equal(Start.AddDays(150), warning.At);
    }

    [Fact]
    public void A_sustained_finding_of_a_listed_kind_raises_once_at_the_finding()
    {
        var sustained = Complaint(0, "misconduct", "sustained", findingDays: 90);
        var warning = Assert.Single(Evaluate([sustained, Complaint(5, "misconduct", "unfounded", 90)]));
        Assert.Equal("sustained-serious", warning.PolicyId);
        Assert.Equal(Start.AddDays(90), warning.At);
        var prior = new[] { new PriorWarning(warning.PolicyId, warning.At, EarlyWarningEvaluator.Keys(warning.Counted)) };
        Assert.Empty(Evaluate([sustained], prior));
    }

    [Fact]
    public void A_unit_policy_counts_only_officers_of_that_unit()
    {
        var allegations = new[] { Complaint(0, "discourtesy"), Complaint(30, "offensive-language") };
        Assert.Empty(Evaluate(allegations, unit: "u-patrol-2"));
        Assert.Equal("patrol-1-discourtesy", Assert.Single(Evaluate(allegations, unit: "u-patrol-1")).PolicyId);
    }

    [Fact]
    public void The_same_history_in_another_order_gives_the_same_warnings_with_the_same_ids()
    {
        var allegations = new[] { Complaint(0), Complaint(40, "force"), Complaint(100, "force"), Complaint(200), Complaint(480), Complaint(490), Complaint(495) };
        var once = Evaluate(allegations);
        var again = Evaluate([.. allegations.Reverse()]);
        Assert.Equal(3, once.Count);
        Assert.Equal(once.Select(w => (w.WarningId, w.PolicyId, w.At)), again.Select(w => (w.WarningId, w.PolicyId, w.At)));
    }
}
