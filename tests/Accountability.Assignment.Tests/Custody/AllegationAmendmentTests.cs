using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

/// <summary>Issue 12: an investigator adds and corrects allegations while investigating; each change is an event.</summary>
public sealed class AllegationAmendmentTests
{
    [Fact]
    public void The_owner_adds_an_allegation_against_an_officer_the_complainant_could_not_name_and_it_needs_a_finding_before_resolution()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: ["4002"]);
        scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.Sustained, "inv-a"));

        var events = scenario.Then(new CustodyCommand.AmendAllegation(null, "discourtesy", "", "the second officer, by the car", "Body-worn video shows a second officer", "inv-a"));

        var amended = Assert.IsType<AllegationAmended>(Assert.Single(events));
        Assert.Null(amended.Previous);
        Assert.Equal(2, scenario.State.Allegations.Count);
        scenario.Refuses(new CustodyCommand.Resolve("done", "inv-a"), RefusalCodes.FindingsMissing);
        scenario.Then(new CustodyCommand.RecordFinding(amended.Allegation.Id, Findings.NotSustained, "inv-a"));
        scenario.Then(new CustodyCommand.Resolve("Both allegations decided.", "inv-a"));
    }

    [Fact]
    public void Correcting_the_officer_of_an_undecided_allegation_makes_him_a_subject_and_a_decided_one_is_not_rewritten()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: [""]);

        scenario.Then(new CustodyCommand.AmendAllegation("A1", "misconduct", "5001", null, "Identified from the duty roster", "inv-a"));

        Assert.Equal("5001", scenario.State.Allegations[0].OfficerBadge);
        Assert.Contains("5001", scenario.State.SubjectOfficerBadges);
        // capt-p2 commands the new subject: he may no longer be handed the case.
        scenario.Refuses(new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Person("capt-p2"), "district knowledge", "inv-a"), RefusalCodes.ConflictOfInterest);

        scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.Unfounded, "inv-a"));
        scenario.Refuses(new CustodyCommand.AmendAllegation("A1", "force", "5001", null, "second thoughts", "inv-a"), RefusalCodes.FindingUnchanged);
    }

    [Fact]
    public void An_allegation_naming_the_owner_is_refused_until_the_case_moves()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Then(new CustodyCommand.Reassign("inv-b", "workload", "lt-ia"));

        // Naming inv-b himself: the owner would be the subject.
        scenario.Refuses(new CustodyCommand.AmendAllegation(null, "misconduct", "3003", null, "he was there too", "sgt-ia"), RefusalCodes.ConflictOfInterest);
        Assert.Empty(scenario.State.SubjectOfficerBadges);
    }

    [Fact]
    public void Only_the_owner_or_their_chain_may_amend_and_always_with_a_reason()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.AmendAllegation(null, "force", "", null, "I think so", "inv-b"), RefusalCodes.NotPermitted);
        scenario.Refuses(new CustodyCommand.AmendAllegation(null, "force", "", null, " ", "inv-a"), RefusalCodes.ReasonRequired);
        scenario.Refuses(new CustodyCommand.AmendAllegation("A9", "force", "", null, "typo", "inv-a"), RefusalCodes.AllegationUnknown);
    }
}
