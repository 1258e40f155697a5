using Accountability.Assignment.Features.Directory;
using Accountability.Contracts.Directory;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static Accountability.Assignment.Tests.Directory.TestDirectories;

namespace Accountability.Assignment.Tests.Directory;

public sealed class OrgChartTests
{
    // One rule at each level of precedence, listed least specific first so that file order cannot be what decides.
    private static readonly RoutingRule AnyCategoryAnyDistrict = new() { Category = "*", District = "*", UnitId = "u-command" };
    private static readonly RoutingRule AnyCategoryInDistrict2 = new() { Category = "*", District = "2", UnitId = "u-desk" };
    private static readonly RoutingRule ForceInAnyDistrict = new() { Category = "force", District = "*", UnitId = "u-ia" };
    private static readonly RoutingRule ForceInDistrict2 = new() { Category = "force", District = "2", UnitId = "u-patrol-1" };

    [Fact]
    public void An_exact_category_and_district_rule_beats_every_wildcard()
    {
        Assert.Equal("u-patrol-1", ChartWithAllFourRules().Route("force", "2"));
    }

    [Fact]
    public void A_category_rule_for_any_district_beats_a_district_rule_for_any_category()
    {
        Assert.Equal("u-ia", ChartWithAllFourRules().Route("force", "3"));
    }

    [Fact]
    public void A_district_rule_for_any_category_beats_the_catch_all()
    {
        Assert.Equal("u-desk", ChartWithAllFourRules().Route("discourtesy", "2"));
    }

    [Fact]
    public void The_catch_all_routes_what_nothing_more_specific_does()
    {
        Assert.Equal("u-command", ChartWithAllFourRules().Route("discourtesy", "3"));
    }

    [Fact]
    public void A_complaint_without_a_district_matches_only_rules_for_any_district()
    {
        var chart = ChartWithAllFourRules();

        Assert.Equal("u-ia", chart.Route("force", null));
        Assert.Equal("u-command", chart.Route("discourtesy", null));
        Assert.Equal("u-command", chart.Route("discourtesy", ""));
    }

    [Fact]
    public void Without_a_matching_rule_route_returns_null_so_the_case_stays_at_the_intake_desk()
    {
        var table = new RoutingTable([ForceInDistrict2]);

        Assert.Null(table.Resolve("force", "3"));
        Assert.Null(table.Resolve("discourtesy", "2"));
    }

    [Fact]
    public void The_most_specific_present_rule_wins_whatever_the_rules_and_their_order()
    {
        // Most specific first: the expected winner is the first of these that is present.
        RoutingRule[] bySpecificity = [ForceInDistrict2, ForceInAnyDistrict, AnyCategoryInDistrict2, AnyCategoryAnyDistrict];
        var rulesInAnyOrder = Gen.SubListOf(bySpecificity).SelectMany(subset => Gen.Shuffle(subset.ToArray()));

        Prop.ForAll(rulesInAnyOrder.ToArbitrary(), rules =>
            {
                var expected = bySpecificity.FirstOrDefault(rules.Contains);
                return new RoutingTable(rules).Resolve("force", "2") == expected;
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_chain_of_command_excludes_the_person_and_ends_at_the_top()
    {
        var chart = OrgChart.From(Small());

        Assert.Equal(["p-captain", "p-chief"], chart.ChainOfCommand("p-officer").Select(person => person.Id));
        Assert.Empty(chart.ChainOfCommand("p-chief"));
        Assert.Empty(chart.ChainOfCommand("p-nobody"));
    }

    [Fact]
    public void People_are_found_by_id_and_by_badge_ignoring_the_badges_case()
    {
        var chart = OrgChart.From(Small());

        Assert.Equal("Eve Officer", chart.FindPerson("p-officer")?.Name);
        Assert.Equal("p-officer", chart.FindPersonByBadge("c-301")?.Id);
        Assert.Null(chart.FindPerson("P-OFFICER"));
        Assert.Null(chart.FindPersonByBadge("999"));
    }

    [Fact]
    public void Units_know_their_members_and_their_commander()
    {
        var chart = OrgChart.From(Small());

        Assert.Equal("District 1 Patrol", chart.FindUnit("u-patrol-1")?.Name);
        Assert.Equal(["p-captain", "p-officer"], chart.Members("u-patrol-1").Select(person => person.Id));
        Assert.Equal("p-captain", chart.CommanderOf("u-patrol-1")?.Id);
        Assert.Empty(chart.Members("u-nowhere"));
        Assert.Null(chart.CommanderOf("u-nowhere"));
    }

    [Fact]
    public void An_inactive_or_unknown_person_is_not_active()
    {
        var chart = OrgChart.From(Small().WithPerson(Officer, officer => officer with { Active = false }));

        Assert.True(chart.IsActive("p-captain"));
        Assert.False(chart.IsActive("p-officer"));
        Assert.False(chart.IsActive("p-nobody"));
        Assert.Contains(chart.Members("u-patrol-1"), person => person.Id == "p-officer");
    }

    [Fact]
    public void A_chart_cannot_be_built_from_an_invalid_directory()
    {
        var broken = Small().WithPerson(Captain, captain => captain with { SupervisorId = "p-officer" });

        var refusal = Assert.Throws<InvalidDirectoryException>(() => OrgChart.From(broken));

        Assert.Contains(refusal.Problems, problem => problem.Path == $"people[{Captain}].supervisorId");
    }

    [Fact]
    public void The_chart_covers_the_standard_districts_and_any_a_unit_declares()
    {
        var district6 = new OrgUnit { Id = "u-patrol-6", Name = "District 6 Patrol", Kind = UnitKinds.Patrol, District = "6", CommanderId = "p-captain" };
        var chart = OrgChart.From(Small() with { Units = Small().Units.Plus(district6) });

        Assert.Equal(new[] { "1", "2", "3", "4", "5", "6" }, chart.Districts.AsEnumerable());
    }

    private static OrgChart ChartWithAllFourRules() => OrgChart.From(Small() with
    {
        RoutingRules = [AnyCategoryAnyDistrict, AnyCategoryInDistrict2, ForceInAnyDistrict, ForceInDistrict2],
    });
}
