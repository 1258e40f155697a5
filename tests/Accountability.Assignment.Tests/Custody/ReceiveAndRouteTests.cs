using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

public sealed class ReceiveAndRouteTests
{
    [Fact]
    public void A_received_case_is_owned_by_the_intake_desk_from_the_receipt_instant()
    {
        var scenario = CustodyScenario.Received(subjectBadges: ["4002"], allegationBadges: ["4002"]);

        Assert.Equal(CaseStatus.Open, scenario.State.Status);
        Assert.Equal(CaseOwner.Unit(TestDepartment.IntakeDesk), scenario.State.Owner);
        var interval = Assert.Single(scenario.State.Ledger);
        Assert.Equal(CustodyScenario.ReceivedAt, interval.From);
        Assert.Null(interval.To);
        Assert.Equal(TransferKinds.Received, interval.TransferKind);
        Assert.Equal(["4002"], scenario.State.SubjectOfficerBadges);
        Assert.Equal("A1", Assert.Single(scenario.State.Allegations).Id);
    }

    [Fact]
    public void Receiving_a_case_announces_it_and_its_first_owner_with_versions_one_and_two()
    {
        var scenario = CustodyScenario.Received();

        Assert.Collection(scenario.Events,
            opened => Assert.Equal(1, Assert.IsType<CaseOpened>(opened).CaseVersion),
            transferred =>
            {
                var transfer = Assert.IsType<CustodyTransferred>(transferred);
                Assert.Equal(2, transfer.CaseVersion);
                Assert.Null(transfer.FromOwnerKind);
                Assert.Equal("unit", transfer.ToOwnerKind);
                Assert.Equal(TestDepartment.IntakeDesk, transfer.ToOwnerId);
                Assert.Equal(TransferKinds.Received, transfer.TransferKind);
            });
        Assert.Equal(2, scenario.State.Version);
    }

    [Fact]
    public void Receiving_the_same_case_twice_is_refused()
    {
        var scenario = CustodyScenario.Received();

        scenario.Refuses(new CustodyCommand.Receive(scenario.CaseId, TestDepartment.IntakeDesk, [], [], "misconduct", "1", "system:intake"), RefusalCodes.AlreadyReceived);
    }

    [Fact]
    public void A_command_on_a_case_that_was_never_received_is_refused()
    {
        var decision = CustodyDecider.Decide(CaseState.NotReceived, new CustodyCommand.Acknowledge("inv-a"), TestDepartment.Sample, CustodyScenario.ReceivedAt);

        var refused = Assert.IsType<Decision.Refused>(decision);
        Assert.Equal(RefusalCodes.CaseNotReceived, refused.Refusal.Code);
        Assert.NotEmpty(refused.Refusal.Reason);
    }

    [Fact]
    public void Routing_moves_the_case_from_the_intake_desk_to_the_chosen_investigator_at_the_same_instant()
    {
        var scenario = CustodyScenario.Received();

        var events = scenario.Then(new CustodyCommand.Route(TestDepartment.InternalAffairs, "inv-a", "force → internal affairs", CustodyDecider.RouterActor));

        Assert.IsType<CaseRouted>(events[0]);
        var transfer = Assert.IsType<CustodyTransferred>(events[1]);
        Assert.Equal(TransferKinds.Routed, transfer.TransferKind);
        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.Owner);
        Assert.Equal(scenario.State.Ledger[0].To, scenario.State.Ledger[1].From);
        Assert.Equal(scenario.Now, scenario.State.Ledger[1].From);
    }

    [Fact]
    public void The_routed_transfer_follows_the_routing_decision_at_the_next_version_with_its_reason_and_owner()
    {
        // Notification plans the new owner's news from CaseRouted under the transfer's key (the next version), and is not
        // delivered the transfer: the two must agree.
        var scenario = CustodyScenario.Received();

        var events = scenario.Then(new CustodyCommand.Route(TestDepartment.InternalAffairs, "inv-a", "force → internal affairs", CustodyDecider.RouterActor));

        var routed = Assert.IsType<CaseRouted>(events[0]);
        var transfer = Assert.IsType<CustodyTransferred>(events[1]);
        Assert.Equal(routed.CaseVersion + 1, transfer.CaseVersion);
        Assert.Equal(routed.Reason, transfer.Reason);
        Assert.Equal((routed.ToOwnerKind, routed.ToOwnerId), (transfer.ToOwnerKind, transfer.ToOwnerId));
    }

    [Fact]
    public void Routing_to_a_unit_makes_the_unit_the_owner()
    {
        var scenario = CustodyScenario.Received();

        scenario.Then(new CustodyCommand.Route(TestDepartment.InternalAffairs, null, "nobody eligible", CustodyDecider.RouterActor));

        Assert.Equal(CaseOwner.Unit(TestDepartment.InternalAffairs), scenario.State.Owner);
    }

    [Fact]
    public void Routing_by_anyone_but_the_router_is_refused()
    {
        var scenario = CustodyScenario.Received();

        scenario.Refuses(new CustodyCommand.Route(TestDepartment.InternalAffairs, "inv-a", "", "sgt-intake"), RefusalCodes.NotPermitted);
    }

    [Fact]
    public void A_case_that_already_left_the_intake_desk_is_not_routed_again()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Route(TestDepartment.InternalAffairs, "inv-b", "", CustodyDecider.RouterActor), RefusalCodes.AlreadyRouted);
    }

    [Fact]
    public void Routing_to_a_subject_officer_is_refused()
    {
        var scenario = CustodyScenario.Received(subjectBadges: ["3003"]);

        scenario.Refuses(new CustodyCommand.Route(TestDepartment.InternalAffairs, "inv-b", "", CustodyDecider.RouterActor), RefusalCodes.ConflictOfInterest);
    }

    [Fact]
    public void Routing_to_a_person_outside_the_chosen_unit_is_refused()
    {
        var scenario = CustodyScenario.Received();

        scenario.Refuses(new CustodyCommand.Route(TestDepartment.InternalAffairs, "ofc-p2a", "", CustodyDecider.RouterActor), RefusalCodes.PersonNotInUnit);
    }

    [Fact]
    public void Routing_to_an_unknown_unit_is_refused()
    {
        var scenario = CustodyScenario.Received();

        scenario.Refuses(new CustodyCommand.Route("no-such-unit", null, "", CustodyDecider.RouterActor), RefusalCodes.UnitUnknown);
    }

    [Fact]
    public void Routing_to_the_unit_commander_is_allowed_even_from_another_unit()
    {
        var scenario = CustodyScenario.Received();

        scenario.Then(new CustodyCommand.Route(TestDepartment.Command, "chief", "nobody eligible", CustodyDecider.RouterActor));

        Assert.Equal(CaseOwner.Person("chief"), scenario.State.Owner);
    }
}
