using Accountability.Assignment.Features.Directory;
using Accountability.Assignment.Features.Routing;
using Accountability.Assignment.Tests.Directory;
using Xunit;

namespace Accountability.Assignment.Tests.Routing;

/// <summary>
/// The router on the sample department. Discourtesy in district 1 goes to u-patrol-1: commander p-1026 (badge 412),
/// investigators p-1027 (1019, a supervisor) and p-1028 (1544, reports to p-1027).
/// </summary>
public sealed class RoutingPolicyTests
{
    private static readonly Lazy<OrgChart> Sample = new(() => OrgChart.From(DirectoryLoader.Load(TestDirectories.SampleDirectoryPath())));
    private static readonly Dictionary<string, int> NoOpenCases = [];

    [Fact]
    public void A_complaint_with_no_subject_goes_to_an_investigator_of_the_routed_unit()
    {
        var choice = RoutingPolicy.Choose(Sample.Value, "discourtesy", "1", [], NoOpenCases);

        Assert.NotNull(choice);
        Assert.Equal("u-patrol-1", choice.UnitId);
        Assert.Contains(choice.PersonId, new[] { "p-1027", "p-1028" });
    }

    [Fact]
    public void Naming_every_investigator_of_the_district_sends_the_case_to_internal_affairs_never_to_the_subjects_unit()
    {
        // Issue 17, finding 1(b): the unit held it, and a subject closed it as unfounded.
        var choice = RoutingPolicy.Choose(Sample.Value, "discourtesy", "1", ["1019", "1544", "412"], NoOpenCases);

        Assert.NotNull(choice);
        Assert.Equal("u-internal-affairs", choice.UnitId);
        Assert.NotNull(choice.PersonId);
        Assert.StartsWith("p-101", choice.PersonId); // an internal-affairs investigator
    }

    [Fact]
    public void Naming_more_than_half_of_a_units_investigators_keeps_the_case_with_internal_affairs()
    {
        // Issue 17, finding 7: naming everyone else must not let a complainant choose the investigator.
        // 1544 alone rules out p-1028; p-1027 is above him, so both of patrol-1's investigators are out.
        var choice = RoutingPolicy.Choose(Sample.Value, "discourtesy", "1", ["1544"], NoOpenCases);

        Assert.NotNull(choice);
        Assert.Equal("u-internal-affairs", choice.UnitId);
        Assert.Contains("exclude 2 of its 2 investigators", choice.Reason);
    }

    [Fact]
    public void Internal_affairs_command_takes_a_complaint_against_every_internal_affairs_investigator_it_is_not_above()
    {
        // 1207..1356 are all of internal affairs' investigators below p-1012 and p-1013; p-1011 commands them all and is above them.
        var everyInvestigator = Sample.Value.Members("u-internal-affairs").Where(p => p.Roles.Contains("investigator")).Select(p => p.Badge).ToList();

        var choice = RoutingPolicy.Choose(Sample.Value, "force", "1", everyInvestigator, NoOpenCases);

        // p-1011 is above every one of them, so nobody in internal affairs may hold it: the desk keeps it for a person to route.
        Assert.Null(choice);
    }
}
