using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

/// <summary>
/// Confidential cases (issue 12) in the custody rules: only internal-affairs command (lt-ia in the test department)
/// names the team, the owner is always on it, and the case never leaves it.
/// </summary>
public sealed class ConfidentialCaseRuleTests
{
    private const string Command = "lt-ia";

    [Fact]
    public void Internal_affairs_command_marks_a_case_confidential_and_the_owner_joins_the_team()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        var marked = Assert.IsType<CaseMarkedConfidential>(Assert.Single(scenario.Then(new CustodyCommand.MarkConfidential(["inv-b"], "Concerns a senior officer", Command))));

        Assert.Equal(["inv-b", "inv-a"], marked.Team);
        Assert.Equal("Concerns a senior officer", marked.Reason);
        Assert.Equal(["inv-b", "inv-a"], scenario.State.Confidential!.Team);
    }

    [Fact]
    public void Nobody_but_internal_affairs_command_may_mark_or_lift_and_never_without_a_reason()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.MarkConfidential(["inv-b"], "mine", "sgt-ia"), RefusalCodes.NotPermitted);
        scenario.Refuses(new CustodyCommand.MarkConfidential(["inv-b"], "mine", "inv-a"), RefusalCodes.NotPermitted);
        Assert.Equal("reason", scenario.Refuses(new CustodyCommand.MarkConfidential(["inv-b"], " ", Command), RefusalCodes.ReasonRequired).Field);
        scenario.Refuses(new CustodyCommand.LiftConfidentiality("not secret", Command), RefusalCodes.NotConfidential);

        scenario.Then(new CustodyCommand.MarkConfidential(["inv-b"], "Concerns a senior officer", Command));
        scenario.Refuses(new CustodyCommand.LiftConfidentiality("over", "sgt-ia"), RefusalCodes.NotPermitted);
        scenario.Refuses(new CustodyCommand.LiftConfidentiality("", Command), RefusalCodes.ReasonRequired);
        Assert.IsType<CaseConfidentialityLifted>(Assert.Single(scenario.Then(new CustodyCommand.LiftConfidentiality("The officer retired", Command))));
        Assert.Null(scenario.State.Confidential);
    }

    [Fact]
    public void A_team_member_who_is_unknown_inactive_or_conflicted_is_refused_naming_the_field()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["4002"]); // ofc-p1a; his chain is sgt-p1, capt-p1, deputy, chief

        Assert.Equal("team[1]", scenario.Refuses(new CustodyCommand.MarkConfidential(["inv-b", "nobody"], "r", Command), RefusalCodes.PersonUnknown).Field);
        Assert.Equal("team[0]", scenario.Refuses(new CustodyCommand.MarkConfidential(["inv-retired"], "r", Command), RefusalCodes.PersonInactive).Field);
        Assert.Equal("team[1]", scenario.Refuses(new CustodyCommand.MarkConfidential(["inv-b", "sgt-p1"], "r", Command), RefusalCodes.ConflictOfInterest).Field);
    }

    [Fact]
    public void A_case_held_by_a_unit_cannot_be_made_confidential_until_a_person_holds_it()
    {
        var scenario = CustodyScenario.Received();
        scenario.Then(new CustodyCommand.Route(TestDepartment.InternalAffairs, null, "nobody eligible", CustodyDecider.RouterActor));

        scenario.Refuses(new CustodyCommand.MarkConfidential(["inv-b"], "r", Command), RefusalCodes.OwnerNotAPerson);
    }

    [Fact]
    public void A_confidential_case_is_handed_off_or_reassigned_only_to_its_team_or_internal_affairs_command()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Then(new CustodyCommand.MarkConfidential(["inv-b"], "Concerns a senior officer", Command));

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Person("sgt-ia"), "leave", "inv-a"), RefusalCodes.NotOnConfidentialTeam);
        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Unit(TestDepartment.InternalAffairs), "leave", "inv-a"), RefusalCodes.NotOnConfidentialTeam);
        scenario.Refuses(new CustodyCommand.Reassign("sgt-ia", "workload", Command), RefusalCodes.NotOnConfidentialTeam);
        // A dispatcher sees only the board's row: they do not move a confidential case.
        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Person("inv-b"), "load", "dispatch"), RefusalCodes.NotPermitted);

        scenario.HandOff(CaseOwner.Person("inv-b"));
        scenario.Then(new CustodyCommand.CancelHandoff(scenario.State.PendingHandoff!.HandoffId, "changed my mind", "inv-a"));
        scenario.Then(new CustodyCommand.Reassign(Command, "I take it myself", Command));
        Assert.Equal(CaseOwner.Person(Command), scenario.State.Owner);
    }

    [Fact]
    public void Marking_withdraws_a_pending_handoff_to_someone_off_the_team()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.HandOff(CaseOwner.Person("sgt-ia"));

        var events = scenario.Then(new CustodyCommand.MarkConfidential(["inv-b"], "Concerns a senior officer", Command));

        Assert.IsType<HandoffCancelled>(events[0]);
        Assert.IsType<CaseMarkedConfidential>(events[1]);
        Assert.Null(scenario.State.PendingHandoff);
    }

    [Fact]
    public void An_escalation_of_a_confidential_case_goes_to_internal_affairs_command_not_up_the_owners_chain()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Then(new CustodyCommand.MarkConfidential(["inv-b"], "Concerns a senior officer", Command));

        var transfer = Assert.IsType<CustodyTransferred>(Assert.Single(scenario.Then(new CustodyCommand.Escalate("sgt-ia", "acknowledge breached", 1, "system:escalation"))));

        Assert.Equal(Command, transfer.ToOwnerId);
        Assert.Contains("confidential", transfer.Reason);
    }

    [Fact]
    public void A_resolved_case_can_be_made_confidential_and_reopens_with_its_team()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Then(new CustodyCommand.Resolve("Nothing to find", "inv-a"));

        scenario.Then(new CustodyCommand.MarkConfidential(["inv-b"], "Named in a later inquiry", Command));
        scenario.Then(new CustodyCommand.Reopen("New evidence", Command));

        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.Owner);
        Assert.NotNull(scenario.State.Confidential);
    }
}
