using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

/// <summary>
/// No officer investigates himself, on any path (issue 17, finding 1 and 2). Badges in the test department:
/// sgt-p1 4001 (supervisor in patrol-1, reports to capt-p1), sgt-ia 3001, deputy 1001.
/// </summary>
public sealed class ConflictOfInterestTests
{
    [Fact]
    public void The_owner_cannot_hand_the_case_to_the_subject_officers_own_unit()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["4001"]);

        var refusal = scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Unit(TestDepartment.Patrol1), "their district", "inv-a"),
            RefusalCodes.ConflictOfInterest);

        Assert.Contains(TestDepartment.Patrol1, refusal.Reason);
    }

    [Fact]
    public void A_unit_whose_commander_is_above_the_subject_is_conflicted_even_when_the_subject_is_elsewhere()
    {
        // ofc-p2a's commander is capt-p2; deputy commands both captains. A complaint against capt-p2 rules out patrol-2.
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["5000"]);

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Unit(TestDepartment.Patrol2), "district", "inv-a"),
            RefusalCodes.ConflictOfInterest);
        scenario.HandOff(CaseOwner.Unit(TestDepartment.Patrol1));
    }

    [Fact]
    public void The_subject_and_his_chain_can_do_nothing_on_the_case_even_with_authority_over_its_owner()
    {
        // inv-a reports to sgt-ia, the subject, who reports to lt-ia: both would otherwise have authority over inv-a's case.
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["3001"], allegationBadges: ["3001"]);

        foreach (var conflicted in new[] { "sgt-ia", "lt-ia", "deputy" })
        {
            scenario.Refuses(new CustodyCommand.RecordFinding("A1", Findings.Exonerated, conflicted), RefusalCodes.ActorConflicted);
            scenario.Refuses(new CustodyCommand.Resolve("closing", conflicted), RefusalCodes.ActorConflicted);
            scenario.Refuses(new CustodyCommand.RecordContact(ContactMethods.Phone, null, conflicted), RefusalCodes.ActorConflicted);
            scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Person("inv-b"), "mine now", conflicted), RefusalCodes.ActorConflicted);
            scenario.Refuses(new CustodyCommand.Reassign("inv-b", "mine now", conflicted), RefusalCodes.ActorConflicted);
        }
        scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.Sustained, "inv-a"));
    }

    [Fact]
    public void The_subject_cannot_accept_a_handoff_made_out_to_his_unit()
    {
        // A handoff to patrol-1 requested before the complaint named anyone there cannot exist any more;
        // the closest real path: the subject is sgt-ia, and the case is handed to internal affairs' unit.
        var scenario = CustodyScenario.OwnedBy("inv-b", subjectBadges: ["3001"]);

        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Unit(TestDepartment.InternalAffairs), "back to the unit", "inv-b"),
            RefusalCodes.ConflictOfInterest);
        scenario.Refuses(new CustodyCommand.Reassign("inv-a", "I supervise this", "sgt-ia"), RefusalCodes.ActorConflicted);
    }

    [Fact]
    public void Escalation_to_a_conflicted_supervisor_goes_to_internal_affairs_command_instead()
    {
        // ofc-p1b reports to sgt-p1, the subject. The acknowledge clock breaches; escalation names sgt-p1.
        var scenario = CustodyScenario.Received(subjectBadges: ["4001"]);
        scenario.Then(new CustodyCommand.Route(TestDepartment.Patrol2, "ofc-p2a", "routed", CustodyDecider.RouterActor));
        scenario.Then(new CustodyCommand.Reassign("ofc-p1b", "local knowledge", "lt-ia"));

        var events = scenario.Then(new CustodyCommand.Escalate("sgt-p1", "acknowledge clock breached", 1, "system:escalation"));

        var transfer = Assert.IsType<CustodyTransferred>(Assert.Single(events));
        Assert.Equal("lt-ia", transfer.ToOwnerId);
        Assert.Contains("sgt-p1 is conflicted", transfer.Reason);
        Assert.Equal(CaseOwner.Person("lt-ia"), scenario.State.Owner);
    }

    [Fact]
    public void Escalation_is_refused_when_even_internal_affairs_command_is_conflicted()
    {
        // sgt-ia is the subject: lt-ia is above him, and so is everyone above lt-ia.
        var scenario = CustodyScenario.OwnedBy("inv-a", subjectBadges: ["3001"]);

        var refusal = scenario.Refuses(new CustodyCommand.Escalate("sgt-ia", "acknowledge clock breached", 1, "system:escalation"), RefusalCodes.ConflictOfInterest);

        Assert.Contains("nobody eligible", refusal.Reason);
        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.Owner);
    }

    [Fact]
    public void Internal_affairs_command_takes_back_a_case_outside_its_chain_with_a_reason()
    {
        var scenario = CustodyScenario.Received(subjectBadges: ["4002"]);
        scenario.Then(new CustodyCommand.Route(TestDepartment.Patrol2, "ofc-p2a", "routed", CustodyDecider.RouterActor));

        scenario.Refuses(new CustodyCommand.Reassign("inv-a", "taking it back", "capt-p1"), RefusalCodes.ActorConflicted);
        var events = scenario.Then(new CustodyCommand.Reassign("inv-a", "internal affairs takes this back", "lt-ia"));

        Assert.Equal("internal affairs takes this back", Assert.IsType<CustodyTransferred>(Assert.Single(events)).Reason);
        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.Owner);
    }

    [Fact]
    public void Internal_affairs_command_may_reopen_a_case_it_never_held()
    {
        var scenario = CustodyScenario.Received();
        scenario.Then(new CustodyCommand.Route(TestDepartment.Patrol2, "ofc-p2a", "routed", CustodyDecider.RouterActor));
        scenario.Then(new CustodyCommand.Resolve("done", "ofc-p2a"));

        scenario.Refuses(new CustodyCommand.Reopen("looks wrong", "sgt-ia"), RefusalCodes.NotPermitted);
        scenario.Then(new CustodyCommand.Reopen("the finding looks wrong", "lt-ia"));

        Assert.Equal(CaseStatus.Open, scenario.State.Status);
    }

    [Fact]
    public void Routing_to_a_conflicted_unit_is_refused()
    {
        var scenario = CustodyScenario.Received(subjectBadges: ["4003"]);

        scenario.Refuses(new CustodyCommand.Route(TestDepartment.Patrol1, null, "district 1", CustodyDecider.RouterActor), RefusalCodes.ConflictOfInterest);
        scenario.Then(new CustodyCommand.Route(TestDepartment.InternalAffairs, null, "internal affairs", CustodyDecider.RouterActor));
    }
}
