using System.Text.Json;
using Accountability.Contracts.Directory;
using Accountability.Contracts.Escalation;
using Accountability.Escalation.Features.Escalations;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Escalation.Tests.Escalations;

public sealed class ChainOfCommandTests
{
    public static OrgDirectory SampleDirectory() =>
        JsonSerializer.Deserialize<OrgDirectory>(File.ReadAllText(RepositoryPaths.File("deploy", "org", "directory.json")), JsonSerializerOptions.Web)!;

    private static readonly ChainOfCommand Chain = new(SampleDirectory());

    [Fact]
    public void A_person_escalates_to_their_supervisor_and_on_up_to_the_chief()
    {
        var climbed = new List<string>();
        for (var current = "p-1014"; Chain.Above("person", current) is { } next; current = next)
            climbed.Add(next);
        Assert.Equal(["p-1012", "p-1011", "p-1003", "p-1001"], climbed);
    }

    [Fact]
    public void A_unit_escalates_to_its_commander()
    {
        Assert.Equal("p-1026", Chain.Above("unit", "u-patrol-1"));
        Assert.Equal("p-1011", Chain.Above("unit", "u-internal-affairs"));
    }

    [Fact]
    public void The_top_of_the_chain_has_nobody_above()
    {
        Assert.Null(Chain.Above("person", "p-1001"));
        Assert.Equal("p-1001", Chain.Top());
    }

    [Fact]
    public void An_inactive_supervisor_is_passed_over()
    {
        var directory = SampleDirectory();
        directory = directory with { People = [.. directory.People.Select(p => p.Id == "p-1012" ? p with { Active = false } : p)] };
        Assert.Equal("p-1011", new ChainOfCommand(directory).Above("person", "p-1014"));
    }

    [Fact]
    public void An_unacknowledged_breach_moves_custody_one_level_up_and_other_breaches_only_notify()
    {
        var acknowledge = EscalationDecider.OnBreach(SlaClocks.Acknowledge, "person", "p-1012", currentLevel: 1, Chain);
        Assert.Equal(new EscalationPlan(EscalationOutcomes.CustodyRequested, "p-1011", 2, acknowledge.Reason), acknowledge);

        var handoff = EscalationDecider.OnBreach(SlaClocks.HandoffAccept, "person", "p-1014", currentLevel: 0, Chain);
        Assert.Equal(EscalationOutcomes.SupervisorNotified, handoff.Outcome);
        Assert.Equal("p-1012", handoff.ToPersonId);

        var top = EscalationDecider.OnBreach(SlaClocks.Acknowledge, "person", "p-1001", currentLevel: 4, Chain);
        Assert.Equal(EscalationOutcomes.TopOfChain, top.Outcome);
        Assert.Null(top.ToPersonId);
    }

    [Fact]
    public void An_inactive_owner_found_by_the_gap_monitor_goes_to_the_first_active_person_above()
    {
        var plan = EscalationDecider.OnUnownedCase("person", "p-1017", "u-internal-affairs", 0, Chain, "inactive");
        Assert.Equal((EscalationOutcomes.CustodyRequested, "p-1012", 1), (plan.Outcome, plan.ToPersonId, plan.Level));

        var unknown = EscalationDecider.OnUnownedCase("person", "p-9999", "u-patrol-2", 0, Chain, "unknown");
        Assert.Equal("p-1029", unknown.ToPersonId);
    }
}
