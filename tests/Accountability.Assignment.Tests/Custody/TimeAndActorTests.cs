using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

public sealed class TimeAndActorTests
{
    [Fact]
    public void A_command_dated_before_the_last_custody_change_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Reassign("inv-b", "workload", "sgt-ia"), RefusalCodes.TimeWentBackwards, after: TimeSpan.FromSeconds(-1));
    }

    [Fact]
    public void A_transfer_at_the_same_instant_as_the_last_one_is_allowed()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Then(new CustodyCommand.Reassign("inv-b", "workload", "sgt-ia"), after: TimeSpan.Zero);

        Assert.Equal(scenario.State.Ledger[^2].From, scenario.State.Ledger[^2].To);
        Assert.Equal(CaseOwner.Person("inv-b"), scenario.State.OwnerAt(scenario.Now));
    }

    [Fact]
    public void Answering_a_handoff_before_it_was_requested_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(CaseOwner.Person("inv-b"));

        scenario.Refuses(new CustodyCommand.AcceptHandoff(handoffId, "inv-b"), RefusalCodes.TimeWentBackwards, after: TimeSpan.FromMinutes(-5));
    }

    [Fact]
    public void A_person_who_is_not_in_the_directory_cannot_act()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RecordContact(ContactMethods.Phone, null, "ghost"), RefusalCodes.ActorUnknown);
    }

    [Fact]
    public void An_inactive_person_cannot_act_even_on_their_own_case()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Department = scenario.Department.WithActive("inv-a", false);

        scenario.Refuses(new CustodyCommand.Acknowledge("inv-a"), RefusalCodes.ActorInactive);
    }

    [Fact]
    public void A_command_without_an_actor_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RecordContact(ContactMethods.Phone, null, ""), RefusalCodes.ActorUnknown);
    }

    [Fact]
    public void The_owner_at_any_instant_is_read_from_the_ledger()
    {
        var scenario = CustodyScenario.Received();
        var routedAt = CustodyScenario.ReceivedAt.AddMinutes(10);
        scenario.Then(new CustodyCommand.Route(TestDepartment.InternalAffairs, "inv-a", "", CustodyDecider.RouterActor));
        var handoffId = scenario.HandOff(CaseOwner.Person("inv-b"));
        scenario.Then(new CustodyCommand.AcceptHandoff(handoffId, "inv-b"), after: TimeSpan.FromHours(3));
        var acceptedAt = scenario.Now;

        Assert.Null(scenario.State.OwnerAt(CustodyScenario.ReceivedAt.AddTicks(-1)));
        Assert.Equal(CaseOwner.Unit(TestDepartment.IntakeDesk), scenario.State.OwnerAt(CustodyScenario.ReceivedAt));
        Assert.Equal(CaseOwner.Unit(TestDepartment.IntakeDesk), scenario.State.OwnerAt(routedAt.AddTicks(-1)));
        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.OwnerAt(routedAt));
        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.OwnerAt(acceptedAt.AddTicks(-1)));
        Assert.Equal(CaseOwner.Person("inv-b"), scenario.State.OwnerAt(acceptedAt));
        Assert.Equal(CaseOwner.Person("inv-b"), scenario.State.OwnerAt(acceptedAt.AddYears(1)));
    }

    [Fact]
    public void Replaying_the_events_rebuilds_the_same_case()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["4002"], allegationBadges: ["4002"]);
        var handoffId = scenario.HandOff(CaseOwner.Person("inv-b"));
        scenario.Then(new CustodyCommand.AcceptHandoff(handoffId, "inv-b"));
        scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.Sustained, "inv-b"));
        scenario.Then(new CustodyCommand.Resolve("Findings recorded; letter sent.", "inv-b"));

        var replayed = CustodyDecider.Replay(scenario.Events);

        Assert.Equal(CustodyInvariants.Describe(scenario.State), CustodyInvariants.Describe(replayed));
    }

    [Fact]
    public void Applying_an_event_out_of_order_is_rejected()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var stale = scenario.Events[^1];

        Assert.Throws<InvalidOperationException>(() => CustodyDecider.Evolve(scenario.State, stale));
    }

    [Fact]
    public void Every_event_of_a_case_carries_the_next_case_version()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.HandOff(CaseOwner.Person("inv-b"));
        scenario.Then(new CustodyCommand.Reassign("sgt-ia", "taking it", "lt-ia"));

        var envelopes = scenario.Events.Select(CustodyInvariants.Envelope.Of).ToList();

        Assert.Equal(Enumerable.Range(1, envelopes.Count).Select(version => (long)version), envelopes.Select(envelope => envelope.CaseVersion));
        Assert.All(envelopes, envelope => Assert.Equal(scenario.CaseId, envelope.CaseId));
    }
}
