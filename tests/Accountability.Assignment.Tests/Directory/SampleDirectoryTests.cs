using Accountability.Contracts.Intake;
using Accountability.Assignment.Features.Directory;
using Accountability.ServiceDefaults.Security;
using Xunit;

namespace Accountability.Assignment.Tests.Directory;

/// <summary>deploy/org/directory.json is what a fresh install and the end-to-end tests run on, so it must stay valid and realistic.</summary>
public sealed class SampleDirectoryTests
{
    private static readonly Lazy<OrgChart> Sample = new(() => OrgChart.From(DirectoryLoader.Load(TestDirectories.SampleDirectoryPath())));

    [Fact]
    public void The_shipped_sample_directory_loads_and_validates_clean()
    {
        var directory = DirectoryLoader.Load(TestDirectories.SampleDirectoryPath());

        Assert.Empty(DirectoryValidator.Validate(directory));
        Assert.Equal("Riverton Police Department", directory.Department);
    }

    [Fact]
    public void The_sample_has_five_patrol_districts_and_every_other_kind_of_unit()
    {
        var chart = Sample.Value;

        Assert.Equal(
            RoutingTable.StandardDistricts,
            chart.Units.Where(unit => unit.Kind == UnitKinds.Patrol).Select(unit => unit.District).Order());
        Assert.All(UnitKinds.All, kind => Assert.Contains(chart.Units, unit => unit.Kind == kind));
        Assert.Equal(UnitKinds.Intake, chart.FindUnit(chart.IntakeDeskUnitId)?.Kind);
    }

    [Fact]
    public void The_sample_has_about_forty_people_in_every_role_and_some_inactive()
    {
        var chart = Sample.Value;

        Assert.InRange(chart.People.Length, 35, 45);
        Assert.All(Roles.All, role => Assert.Contains(chart.People, person => person.Roles.Contains(role)));
        Assert.InRange(chart.People.Count(person => !person.Active), 1, 2);
        Assert.All(chart.People, person => Assert.EndsWith("@riverton.example", person.Email));
    }

    [Fact]
    public void Internal_affairs_has_eight_investigators_and_two_supervisors()
    {
        var members = Sample.Value.Members("u-internal-affairs");

        Assert.Equal(8, members.Count(person => person.Roles is ["investigator"]));
        Assert.Equal(2, members.Count(person => person.Roles.Contains(Roles.Supervisor) && person.Roles.Contains(Roles.Investigator)));
    }

    [Theory]
    [InlineData("force", "u-internal-affairs")]
    [InlineData("abuse-of-authority", "u-internal-affairs")]
    [InlineData("misconduct", "u-internal-affairs")]
    [InlineData("discourtesy", "u-patrol-{0}")]
    [InlineData("offensive-language", "u-patrol-{0}")]
    [InlineData("lack-of-service", "u-patrol-{0}")]
    [InlineData("other", "u-professional-standards")]
    public void Serious_complaints_go_to_internal_affairs_minor_ones_to_the_district_and_the_rest_to_professional_standards(string category, string unitPattern)
    {
        foreach (var district in RoutingTable.StandardDistricts)
            Assert.Equal(string.Format(null, unitPattern, district), Sample.Value.Route(category, district));
    }

    [Fact]
    public void A_complaint_from_an_unknown_district_still_routes_somewhere()
    {
        Assert.All(ComplaintCategories.All, category => Assert.NotNull(Sample.Value.Route(category, null)));
        Assert.Equal("u-professional-standards", Sample.Value.Route(ComplaintCategories.Discourtesy, null));
    }

    [Fact]
    public void The_chain_of_command_of_a_patrol_officer_reaches_the_chief_and_stops()
    {
        var chart = Sample.Value;
        var officer = chart.Members("u-patrol-1").Single(person => person.Roles is ["investigator"]);

        var chain = chart.ChainOfCommand(officer.Id);

        Assert.Equal(["p-1027", "p-1026", "p-1002", "p-1001"], chain.Select(person => person.Id));
        Assert.Null(chain[^1].SupervisorId);
        Assert.Equal("p-1001", chart.CommanderOf("u-command")?.Id);
    }

    [Fact]
    public void Everyone_but_the_chief_has_a_chain_of_command_that_ends_at_the_chief()
    {
        var chart = Sample.Value;
        var chief = Assert.Single(chart.People, person => person.SupervisorId is null);

        Assert.All(
            chart.People.Where(person => person != chief),
            person => Assert.Equal(chief.Id, chart.ChainOfCommand(person.Id)[^1].Id));
    }
}
