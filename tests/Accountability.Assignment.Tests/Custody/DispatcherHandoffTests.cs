using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

/// <summary>
/// Issue 12, finding 4: a dispatcher's handoff was refused ("Only the owner … or their chain of command").
/// The test department's dispatcher dispatches for patrol-1 and internal affairs.
/// </summary>
public sealed class DispatcherHandoffTests
{
    [Fact]
    public void A_dispatcher_hands_off_a_case_held_by_a_member_of_a_unit_they_dispatch_for_and_custody_waits_for_the_receiver()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        var handoffId = scenario.HandOff(CaseOwner.Person("inv-b"), by: "dispatch", reason: "inv-a is off shift");

        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.Owner); // the owner keeps it, and its clocks, until inv-b accepts
        Assert.Equal("dispatch", scenario.State.PendingHandoff!.RequestedBy);
        scenario.Then(new CustodyCommand.AcceptHandoff(handoffId, "inv-b"));
        Assert.Equal(CaseOwner.Person("inv-b"), scenario.State.Owner);
        Assert.Equal("inv-a is off shift", scenario.State.OpenInterval!.Reason);
    }

    [Fact]
    public void A_dispatcher_may_cancel_their_handoff_and_a_decline_leaves_the_owner_in_place()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var first = scenario.HandOff(CaseOwner.Unit(TestDepartment.Patrol1), by: "dispatch", reason: "district work");
        scenario.Then(new CustodyCommand.CancelHandoff(first, "wrong unit", "dispatch"));

        var second = scenario.HandOff(CaseOwner.Person("inv-b"), by: "dispatch", reason: "shift change");
        scenario.Then(new CustodyCommand.DeclineHandoff(second, "on leave tomorrow", "inv-b"));

        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.Owner);
        Assert.Null(scenario.State.PendingHandoff);
    }

    [Fact]
    public void A_declined_or_expired_handoff_names_the_dispatcher_who_asked_so_they_are_told()
    {
        var declined = CustodyScenario.OwnedBy("inv-a");
        var first = declined.HandOff(CaseOwner.Person("inv-b"), by: "dispatch", reason: "shift change");
        var decline = Assert.IsType<HandoffDeclined>(Assert.Single(declined.Then(new CustodyCommand.DeclineHandoff(first, "on leave tomorrow", "inv-b"))));
        Assert.Equal("dispatch", decline.RequestedBy);
        Assert.Equal("inv-a", decline.FromOwnerId);

        var expired = CustodyScenario.OwnedBy("inv-a");
        var second = expired.HandOff(CaseOwner.Person("inv-b"), by: "dispatch", reason: "shift change");
        var expiry = Assert.IsType<HandoffExpired>(Assert.Single(expired.Then(new CustodyCommand.ExpireHandoff(second, "system:escalation"), after: TimeSpan.FromDays(2))));
        Assert.Equal("dispatch", expiry.RequestedBy);
    }

    [Fact]
    public void A_dispatcher_cannot_move_cases_of_units_they_do_not_dispatch_for_nor_work_a_case()
    {
        var scenario = CustodyScenario.Received();
        scenario.Then(new CustodyCommand.Route(TestDepartment.Patrol2, "ofc-p2a", "routed", CustodyDecider.RouterActor));

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Person("inv-a"), "shift change", "dispatch"), RefusalCodes.NotPermitted);
        scenario.Refuses(new CustodyCommand.Acknowledge("dispatch"), RefusalCodes.NotPermitted);
        scenario.Refuses(new CustodyCommand.Resolve("done", "dispatch"), RefusalCodes.NotPermitted);
    }

    [Fact]
    public void Without_authority_the_answer_is_403_before_any_state_is_revealed()
    {
        // Issue 17, finding 11: an unauthorised handoff answered 409 (a handoff is pending) before 403.
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.HandOff(CaseOwner.Person("inv-b"));

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Person("inv-b"), "mine", "capt-p2"), RefusalCodes.NotPermitted);
    }
}
