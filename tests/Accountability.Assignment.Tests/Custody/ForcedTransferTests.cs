using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

public sealed class ForcedTransferTests
{
    [Fact]
    public void A_supervisor_reassigns_a_case_without_the_receiver_accepting()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        var events = scenario.Then(new CustodyCommand.Reassign("inv-b", "inv-a is on leave", "sgt-ia"));

        var transfer = Assert.IsType<CustodyTransferred>(Assert.Single(events));
        Assert.Equal(TransferKinds.Reassigned, transfer.TransferKind);
        Assert.Equal(CaseOwner.Person("inv-b"), scenario.State.Owner);
    }

    [Fact]
    public void Reassigning_by_someone_outside_the_owners_chain_of_command_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Reassign("inv-b", "workload", "capt-p1"), RefusalCodes.NotPermitted);
        scenario.Refuses(new CustodyCommand.Reassign("inv-b", "workload", "inv-a"), RefusalCodes.NotPermitted);
    }

    [Fact]
    public void Reassigning_a_unit_owned_case_is_for_the_unit_commander_and_above()
    {
        var scenario = CustodyScenario.Received();
        scenario.Then(new CustodyCommand.Route(TestDepartment.InternalAffairs, null, "nobody eligible", CustodyDecider.RouterActor));

        scenario.Refuses(new CustodyCommand.Reassign("inv-b", "workload", "sgt-ia"), RefusalCodes.NotPermitted);
        scenario.Then(new CustodyCommand.Reassign("inv-b", "workload", "lt-ia"));
    }

    [Fact]
    public void Reassigning_to_a_subject_officer_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["5001"]);

        scenario.Refuses(new CustodyCommand.Reassign("ofc-p2a", "workload", "sgt-ia"), RefusalCodes.ConflictOfInterest);
    }

    [Theory]
    [InlineData("clerk")]
    [InlineData("dispatch")]
    [InlineData("auditor")]
    public void Reassigning_to_someone_whose_role_cannot_investigate_is_refused_even_by_internal_affairs_command(string receiver)
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        var bySupervisor = scenario.Refuses(new CustodyCommand.Reassign(receiver, "workload", "sgt-ia"), RefusalCodes.RoleCannotInvestigate);
        scenario.Refuses(new CustodyCommand.Reassign(receiver, "taking it back", "lt-ia"), RefusalCodes.RoleCannotInvestigate);

        Assert.Equal("toPersonId", bySupervisor.Field);
    }

    [Fact]
    public void Reassigning_without_a_reason_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Reassign("inv-b", "", "sgt-ia"), RefusalCodes.ReasonRequired);
    }

    [Fact]
    public void Reassigning_withdraws_the_previous_owners_pending_handoff()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(CaseOwner.Person("sgt-ia"));

        var events = scenario.Then(new CustodyCommand.Reassign("inv-b", "inv-a is on leave", "lt-ia"));

        Assert.Equal(handoffId, Assert.IsType<HandoffCancelled>(events[0]).HandoffId);
        Assert.IsType<CustodyTransferred>(events[1]);
        Assert.Null(scenario.State.PendingHandoff);
        scenario.Refuses(new CustodyCommand.AcceptHandoff(handoffId, "sgt-ia"), RefusalCodes.HandoffNotPending);
    }

    [Fact]
    public void An_escalation_moves_the_case_to_the_named_supervisor()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        var events = scenario.Then(new CustodyCommand.Escalate("sgt-ia", "acknowledge clock breached", 1, "system:escalation"), after: TimeSpan.FromDays(1));

        var transfer = Assert.IsType<CustodyTransferred>(Assert.Single(events));
        Assert.Equal(TransferKinds.Escalated, transfer.TransferKind);
        Assert.Equal(1, transfer.EscalationLevel);
        Assert.Equal(CaseOwner.Person("sgt-ia"), scenario.State.Owner);
    }

    [Fact]
    public void Escalating_to_an_unknown_person_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Escalate("ghost", "acknowledge clock breached", 1, "system:escalation"), RefusalCodes.PersonUnknown);
    }

    [Fact]
    public void Escalating_to_an_inactive_person_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Department = scenario.Department.WithActive("sgt-ia", false);

        scenario.Refuses(new CustodyCommand.Escalate("sgt-ia", "acknowledge clock breached", 1, "system:escalation"), RefusalCodes.PersonInactive);
    }

    [Fact]
    public void Escalating_to_the_current_owner_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Escalate("inv-a", "acknowledge clock breached", 1, "system:escalation"), RefusalCodes.AlreadyOwner);
    }

    [Fact]
    public void A_person_cannot_escalate_a_case()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Escalate("sgt-ia", "I want it", 1, "sgt-ia"), RefusalCodes.NotPermitted);
    }

    [Fact]
    public void Escalating_to_level_zero_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Escalate("sgt-ia", "acknowledge clock breached", 0, "system:escalation"), RefusalCodes.InvalidCommand);
    }
}
