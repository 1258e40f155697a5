using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

public sealed class HandoffTests
{
    private static CaseOwner Person(string id) => CaseOwner.Person(id);

    [Fact]
    public void Handing_a_case_to_yourself_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("inv-a"), "mine", "inv-a"), RefusalCodes.HandoffToSelf);
    }

    [Fact]
    public void Handing_a_case_to_its_current_owner_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("inv-a"), "back to you", "sgt-ia"), RefusalCodes.AlreadyOwner);
    }

    [Fact]
    public void Handing_a_case_to_an_inactive_person_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("inv-retired"), "knows the area", "inv-a"), RefusalCodes.PersonInactive);
    }

    [Fact]
    public void Handing_a_case_to_an_unknown_person_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("ghost"), "who?", "inv-a"), RefusalCodes.PersonUnknown);
    }

    [Fact]
    public void Handing_a_case_to_an_unknown_unit_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Unit("no-such-unit"), "who?", "inv-a"), RefusalCodes.UnitUnknown);
    }

    [Fact]
    public void Handing_a_case_to_a_subject_officer_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["3003"]);

        var refusal = scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("inv-b"), "workload", "inv-a"), RefusalCodes.ConflictOfInterest);
        Assert.Contains("subject officer", refusal.Reason);
    }

    [Fact]
    public void Handing_a_case_to_someone_in_a_subject_officers_chain_of_command_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["4002"]);

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("capt-p1"), "district knowledge", "inv-a"), RefusalCodes.ConflictOfInterest);
    }

    [Theory]
    [InlineData("clerk")]
    [InlineData("dispatch")]
    [InlineData("auditor")]
    public void Handing_a_case_to_someone_whose_role_cannot_investigate_is_refused_naming_the_field(string receiver)
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        var refusal = scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person(receiver), "workload", "inv-a"), RefusalCodes.RoleCannotInvestigate);

        Assert.Equal("toPersonId", refusal.Field);
        Assert.Contains(receiver, refusal.Reason);
        Assert.Contains("investigator, supervisor or commander", refusal.Reason);
    }

    [Fact]
    public void A_dispatcher_may_not_hand_a_case_to_a_fellow_dispatcher_either()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("clerk"), "desk can take it", "dispatch"), RefusalCodes.RoleCannotInvestigate);
        scenario.HandOff(Person("inv-b"), by: "dispatch");
    }

    [Fact]
    public void Handing_a_case_to_a_peer_of_the_subject_officer_is_allowed()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["4002"]);

        scenario.HandOff(Person("ofc-p1b"));

        Assert.NotNull(scenario.State.PendingHandoff);
    }

    [Fact]
    public void A_handoff_without_a_reason_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("inv-b"), " ", "inv-a"), RefusalCodes.ReasonRequired);
    }

    [Fact]
    public void A_second_handoff_while_one_is_pending_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.HandOff(Person("inv-b"));

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("sgt-ia"), "changed my mind", "inv-a"), RefusalCodes.HandoffPending);
    }

    [Fact]
    public void Someone_outside_the_owners_chain_of_command_may_not_request_a_handoff()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("inv-b"), "I'll give it away", "capt-p2"), RefusalCodes.NotPermitted);
        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("sgt-ia"), "a peer's case", "inv-b"), RefusalCodes.NotPermitted);
    }

    [Fact]
    public void The_owners_supervisor_may_request_a_handoff()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.HandOff(Person("inv-b"), by: "lt-ia");

        Assert.Equal("lt-ia", scenario.State.PendingHandoff!.RequestedBy);
    }

    [Fact]
    public void A_pending_handoff_leaves_the_case_with_its_owner()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        var events = scenario.Then(new CustodyCommand.RequestHandoff(Guid.NewGuid(), Person("inv-b"), "workload", "inv-a"));

        Assert.IsType<HandoffRequested>(Assert.Single(events));
        Assert.Equal(Person("inv-a"), scenario.State.Owner);
        Assert.Equal(2, scenario.State.Ledger.Count);
    }

    [Fact]
    public void An_accepted_handoff_moves_custody_at_the_acceptance_instant()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(Person("inv-b"));

        var events = scenario.Then(new CustodyCommand.AcceptHandoff(handoffId, "inv-b"), after: TimeSpan.FromHours(2));

        Assert.IsType<HandoffAccepted>(events[0]);
        var transfer = Assert.IsType<CustodyTransferred>(events[1]);
        Assert.Equal(TransferKinds.Handoff, transfer.TransferKind);
        Assert.Equal(handoffId, transfer.HandoffId);
        Assert.Equal(Person("inv-b"), scenario.State.Owner);
        Assert.Null(scenario.State.PendingHandoff);
        Assert.Equal(scenario.Now, scenario.State.Ledger[^2].To);
        Assert.Equal(scenario.Now, scenario.State.Ledger[^1].From);
    }

    [Fact]
    public void Accepting_someone_elses_handoff_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(Person("inv-b"));

        scenario.Refuses(new CustodyCommand.AcceptHandoff(handoffId, "sgt-ia"), RefusalCodes.NotPermitted);
        scenario.Refuses(new CustodyCommand.AcceptHandoff(handoffId, "inv-a"), RefusalCodes.NotPermitted);
    }

    [Fact]
    public void Accepting_a_handoff_that_is_not_the_pending_one_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var first = scenario.HandOff(Person("inv-b"));
        scenario.Then(new CustodyCommand.DeclineHandoff(first, "too busy", "inv-b"));
        scenario.HandOff(Person("sgt-ia"));

        scenario.Refuses(new CustodyCommand.AcceptHandoff(first, "inv-b"), RefusalCodes.HandoffNotPending);
        scenario.Refuses(new CustodyCommand.AcceptHandoff(Guid.NewGuid(), "sgt-ia"), RefusalCodes.HandoffNotPending);
    }

    [Fact]
    public void Accepting_when_nothing_is_pending_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.AcceptHandoff(Guid.NewGuid(), "inv-b"), RefusalCodes.HandoffNotPending);
    }

    [Fact]
    public void A_declined_handoff_leaves_the_case_with_its_owner()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var ledgerBefore = scenario.State.Ledger;
        var handoffId = scenario.HandOff(Person("inv-b"));

        var events = scenario.Then(new CustodyCommand.DeclineHandoff(handoffId, "conflict with another case", "inv-b"));

        Assert.IsType<HandoffDeclined>(Assert.Single(events));
        Assert.Equal(Person("inv-a"), scenario.State.Owner);
        Assert.Equal(ledgerBefore, scenario.State.Ledger);
        Assert.Null(scenario.State.PendingHandoff);
    }

    [Fact]
    public void Declining_without_a_reason_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(Person("inv-b"));

        scenario.Refuses(new CustodyCommand.DeclineHandoff(handoffId, "", "inv-b"), RefusalCodes.ReasonRequired);
    }

    [Fact]
    public void Declining_someone_elses_handoff_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(Person("inv-b"));

        scenario.Refuses(new CustodyCommand.DeclineHandoff(handoffId, "not for us", "sgt-ia"), RefusalCodes.NotPermitted);
    }

    [Fact]
    public void A_cancelled_handoff_leaves_the_case_with_its_owner()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var ledgerBefore = scenario.State.Ledger;
        var handoffId = scenario.HandOff(Person("inv-b"));

        scenario.Then(new CustodyCommand.CancelHandoff(handoffId, "", "inv-a"));

        Assert.Equal(Person("inv-a"), scenario.State.Owner);
        Assert.Equal(ledgerBefore, scenario.State.Ledger);
        Assert.Null(scenario.State.PendingHandoff);
    }

    [Fact]
    public void Only_the_owners_side_may_cancel_a_handoff()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(Person("inv-b"));

        scenario.Refuses(new CustodyCommand.CancelHandoff(handoffId, "", "inv-b"), RefusalCodes.NotPermitted);
        scenario.Then(new CustodyCommand.CancelHandoff(handoffId, "keeping it", "sgt-ia"));
    }

    [Fact]
    public void An_expired_handoff_leaves_the_case_with_its_owner()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var ledgerBefore = scenario.State.Ledger;
        var handoffId = scenario.HandOff(Person("inv-b"));

        var events = scenario.Then(new CustodyCommand.ExpireHandoff(handoffId, "system:escalation"), after: TimeSpan.FromDays(2));

        Assert.IsType<HandoffExpired>(Assert.Single(events));
        Assert.Equal(Person("inv-a"), scenario.State.Owner);
        Assert.Equal(ledgerBefore, scenario.State.Ledger);
    }

    [Fact]
    public void A_person_cannot_expire_a_handoff()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(Person("inv-b"));

        scenario.Refuses(new CustodyCommand.ExpireHandoff(handoffId, "inv-a"), RefusalCodes.NotPermitted);
    }

    [Fact]
    public void A_handoff_to_a_unit_is_accepted_by_someone_who_may_act_for_the_unit_and_the_unit_becomes_the_owner()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(CaseOwner.Unit(TestDepartment.Patrol1));

        scenario.Refuses(new CustodyCommand.AcceptHandoff(handoffId, "ofc-p1b"), RefusalCodes.NotPermitted);
        scenario.Then(new CustodyCommand.AcceptHandoff(handoffId, "sgt-p1"));

        Assert.Equal(CaseOwner.Unit(TestDepartment.Patrol1), scenario.State.Owner);
    }

    [Fact]
    public void A_unit_owned_case_is_handed_off_by_someone_who_may_act_for_the_unit()
    {
        var scenario = CustodyScenario.Received();
        scenario.Then(new CustodyCommand.Route(TestDepartment.InternalAffairs, null, "nobody eligible", CustodyDecider.RouterActor));

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Person("inv-b"), "take it", "inv-a"), RefusalCodes.NotPermitted);
        scenario.HandOff(CaseOwner.Person("inv-b"), by: "sgt-ia");

        Assert.Equal("sgt-ia", scenario.State.PendingHandoff!.RequestedBy);
    }
}
