using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

public sealed class CaseLifecycleTests
{
    [Fact]
    public void The_owner_acknowledges_the_case()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Then(new CustodyCommand.Acknowledge("inv-a"));

        Assert.True(scenario.State.AcknowledgedByCurrentOwner);
    }

    [Fact]
    public void Acknowledging_by_someone_other_than_the_owner_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Acknowledge("inv-b"), RefusalCodes.NotPermitted);
        scenario.Refuses(new CustodyCommand.Acknowledge("sgt-ia"), RefusalCodes.NotPermitted);
    }

    [Fact]
    public void Acknowledging_twice_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Then(new CustodyCommand.Acknowledge("inv-a"));

        scenario.Refuses(new CustodyCommand.Acknowledge("inv-a"), RefusalCodes.AlreadyAcknowledged);
    }

    [Fact]
    public void A_transfer_needs_a_fresh_acknowledgement_from_the_new_owner()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Then(new CustodyCommand.Acknowledge("inv-a"));
        var handoffId = scenario.HandOff(CaseOwner.Person("inv-b"));
        scenario.Then(new CustodyCommand.AcceptHandoff(handoffId, "inv-b"));

        Assert.False(scenario.State.AcknowledgedByCurrentOwner);
        scenario.Then(new CustodyCommand.Acknowledge("inv-b"));
    }

    [Fact]
    public void A_unit_owned_case_is_acknowledged_by_someone_who_may_act_for_the_unit()
    {
        var scenario = CustodyScenario.Received();

        scenario.Refuses(new CustodyCommand.Acknowledge("clerk"), RefusalCodes.NotPermitted);
        var events = scenario.Then(new CustodyCommand.Acknowledge("sgt-intake"));

        var acknowledged = Assert.IsType<CaseAcknowledged>(Assert.Single(events));
        Assert.Equal("unit", acknowledged.OwnerKind);
    }

    [Fact]
    public void Contact_with_the_complainant_is_recorded_by_the_owner()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RecordContact(ContactMethods.Phone, null, "inv-b"), RefusalCodes.NotPermitted);
        var contacted = Assert.IsType<ComplainantContacted>(Assert.Single(scenario.Then(
            new CustodyCommand.RecordContact(ContactMethods.Phone, "  Called back about the incident.  ", "inv-a"))));

        Assert.True(scenario.State.ComplainantContacted);
        Assert.Equal(ContactMethods.Phone, contacted.Method);
        Assert.Equal("Called back about the incident.", contacted.Note);
    }

    [Fact]
    public void Contact_without_a_known_method_is_refused_and_a_blank_note_is_no_note()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.RecordContact("carrier-pigeon", null, "inv-a"), RefusalCodes.InvalidCommand);
        scenario.Refuses(new CustodyCommand.RecordContact("", "Spoke to her.", "inv-a"), RefusalCodes.InvalidCommand);
        Assert.False(scenario.State.ComplainantContacted);

        var contacted = Assert.IsType<ComplainantContacted>(Assert.Single(scenario.Then(new CustodyCommand.RecordContact(ContactMethods.InPerson, "   ", "inv-a"))));
        Assert.Null(contacted.Note);
    }

    [Fact]
    public void A_finding_is_recorded_against_one_allegation()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: ["4002", "4003"]);

        var events = scenario.Then(new CustodyCommand.RecordFinding("A2", Findings.Exonerated, "inv-a"));

        var recorded = Assert.IsType<FindingsRecorded>(Assert.Single(events));
        Assert.Equal("A2", recorded.AllegationId);
        Assert.Null(recorded.PreviousFinding);
        Assert.Equal([null, Findings.Exonerated], scenario.State.Allegations.Select(allegation => allegation.Finding));
    }

    [Fact]
    public void A_finding_for_an_unknown_allegation_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: ["4002"]);

        scenario.Refuses(new CustodyCommand.RecordFinding("A9", Findings.Sustained, "inv-a"), RefusalCodes.AllegationUnknown);
    }

    [Fact]
    public void A_finding_outside_the_known_dispositions_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: ["4002"]);

        scenario.Refuses(new CustodyCommand.RecordFinding("A1", "guilty", "inv-a"), RefusalCodes.FindingInvalid);
    }

    [Fact]
    public void Recording_the_same_finding_again_is_refused_but_a_correction_is_not()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: ["4002"]);
        scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.Sustained, "inv-a"));

        scenario.Refuses(new CustodyCommand.RecordFinding("A1", Findings.Sustained, "inv-a"), RefusalCodes.FindingUnchanged);
        var events = scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.NotSustained, "sgt-ia"));

        Assert.Equal(Findings.Sustained, Assert.IsType<FindingsRecorded>(Assert.Single(events)).PreviousFinding);
    }

    [Fact]
    public void Resolving_before_every_allegation_has_a_finding_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: ["4002", "4003"]);
        scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.Unfounded, "inv-a"));

        var refusal = scenario.Refuses(new CustodyCommand.Resolve("Findings recorded; letter sent.", "inv-a"), RefusalCodes.FindingsMissing);

        Assert.Contains("A2", refusal.Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public void Resolving_with_an_empty_or_blank_note_is_refused_even_when_every_finding_is_in(string note)
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: ["4002"]);
        scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.Sustained, "inv-a"));

        var refusal = scenario.Refuses(new CustodyCommand.Resolve(note, "inv-a"), RefusalCodes.ReasonRequired);

        Assert.Contains("note", refusal.Reason);
        Assert.Equal(CaseStatus.Open, scenario.State.Status);
    }

    [Fact]
    public void A_case_with_a_finding_on_every_allegation_is_resolved_and_keeps_its_owner()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: ["4002"]);
        scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.PolicyFailure, "inv-a"));

        var events = scenario.Then(new CustodyCommand.Resolve("training ordered", "inv-a"));

        var resolved = Assert.IsType<CaseResolved>(Assert.Single(events));
        Assert.Equal(Findings.PolicyFailure, Assert.Single(resolved.Findings).Finding);
        Assert.Equal(CaseStatus.Resolved, scenario.State.Status);
        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.Owner);
        Assert.True(scenario.State.Ledger[^1].IsOpen);
    }

    [Fact]
    public void Resolving_withdraws_a_pending_handoff()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.HandOff(CaseOwner.Person("inv-b"));

        var events = scenario.Then(new CustodyCommand.Resolve("Findings recorded; letter sent.", "inv-a"));

        Assert.IsType<HandoffCancelled>(events[0]);
        Assert.IsType<CaseResolved>(events[1]);
        Assert.Null(scenario.State.PendingHandoff);
    }

    public static TheoryData<CustodyCommand> CommandsOnAResolvedCase => new()
    {
        new CustodyCommand.RequestHandoff(Guid.NewGuid(), CaseOwner.Person("inv-b"), "after the fact", "inv-a"),
        new CustodyCommand.Acknowledge("inv-a"),
        new CustodyCommand.RecordContact(ContactMethods.Phone, "Called back about the incident.", "inv-a"),
        new CustodyCommand.RecordFinding("A1", Findings.Sustained, "inv-a"),
        new CustodyCommand.Resolve("again", "inv-a"),
        new CustodyCommand.Reassign("inv-b", "workload", "sgt-ia"),
        new CustodyCommand.Escalate("sgt-ia", "resolution clock", 1, "system:escalation"),
    };

    [Theory]
    [MemberData(nameof(CommandsOnAResolvedCase))]
    public void Acting_on_a_resolved_case_is_refused(CustodyCommand command)
    {
        var scenario = CustodyScenario.OwnedBy("inv-a", allegationBadges: ["4002"]);
        scenario.Then(new CustodyCommand.RecordFinding("A1", Findings.Withdrawn, "inv-a"));
        scenario.Then(new CustodyCommand.Resolve("Findings recorded; letter sent.", "inv-a"));

        scenario.Refuses(command, RefusalCodes.CaseResolved);
    }

    [Fact]
    public void Reopening_returns_the_case_to_its_last_person_owner()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Then(new CustodyCommand.Acknowledge("inv-a"));
        scenario.Then(new CustodyCommand.Resolve("Findings recorded; letter sent.", "inv-a"));

        var events = scenario.Then(new CustodyCommand.Reopen("new evidence", "sgt-ia"));

        var reopened = Assert.IsType<CaseReopened>(Assert.Single(events));
        Assert.Equal("inv-a", reopened.OwnerId);
        Assert.Equal(CaseStatus.Open, scenario.State.Status);
        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.Owner);
        Assert.False(scenario.State.AcknowledgedByCurrentOwner);
    }

    [Fact]
    public void Reopening_goes_to_the_first_active_supervisor_when_the_last_owner_has_left()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Then(new CustodyCommand.Resolve("Findings recorded; letter sent.", "inv-a"));
        scenario.Department = scenario.Department.WithActive("inv-a", false).WithActive("sgt-ia", false);

        var events = scenario.Then(new CustodyCommand.Reopen("appeal upheld", "lt-ia"));

        var transfer = Assert.IsType<CustodyTransferred>(events[1]);
        Assert.Equal(TransferKinds.Reopened, transfer.TransferKind);
        Assert.Equal(CaseOwner.Person("lt-ia"), scenario.State.Owner);
    }

    [Fact]
    public void Reopening_a_unit_owned_case_goes_back_to_the_last_person_who_owned_it()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(CaseOwner.Unit(TestDepartment.Patrol2));
        scenario.Then(new CustodyCommand.AcceptHandoff(handoffId, "capt-p2"));
        scenario.Then(new CustodyCommand.Resolve("Findings recorded; letter sent.", "capt-p2"));

        scenario.Then(new CustodyCommand.Reopen("appeal", "capt-p2"));

        Assert.Equal(CaseOwner.Person("inv-a"), scenario.State.Owner);
    }

    [Fact]
    public void Reopening_an_open_case_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");

        scenario.Refuses(new CustodyCommand.Reopen("why not", "inv-a"), RefusalCodes.CaseNotResolved);
    }

    [Fact]
    public void Reopening_without_a_reason_is_refused()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        scenario.Then(new CustodyCommand.Resolve("Findings recorded; letter sent.", "inv-a"));

        scenario.Refuses(new CustodyCommand.Reopen("", "inv-a"), RefusalCodes.ReasonRequired);
    }

    [Fact]
    public void Reopening_goes_to_internal_affairs_when_nobody_in_the_last_person_owners_chain_is_active()
    {
        var scenario = CustodyScenario.OwnedBy("inv-a");
        var handoffId = scenario.HandOff(CaseOwner.Unit(TestDepartment.Patrol2));
        scenario.Then(new CustodyCommand.AcceptHandoff(handoffId, "capt-p2"));
        scenario.Then(new CustodyCommand.Resolve("Findings recorded; letter sent.", "capt-p2"));
        foreach (var personId in new[] { "inv-a", "sgt-ia", "lt-ia", "deputy", "chief" })
            scenario.Department = scenario.Department.WithActive(personId, false);

        // Never to nobody: internal-affairs command (here inactive too, so its unit) holds the reopened case.
        scenario.Then(new CustodyCommand.Reopen("appeal", "capt-p2"));
        Assert.Equal(CaseOwner.Unit(TestDepartment.InternalAffairs), scenario.State.Owner);
    }
}
