using Accountability.Contracts.Intake;
using Accountability.Assignment.Features.Directory;
using Accountability.Contracts.Directory;
using Xunit;
using static Accountability.Assignment.Tests.Directory.TestDirectories;

namespace Accountability.Assignment.Tests.Directory;

public sealed class DirectoryValidatorTests
{
    [Fact]
    public void The_small_test_directory_is_valid()
    {
        Assert.Empty(DirectoryValidator.Validate(Small()));
    }

    // Chain of command

    [Fact]
    public void A_cycle_in_the_chain_of_command_is_rejected_with_the_people_in_it()
    {
        var directory = Small().WithPerson(Captain, captain => captain with { SupervisorId = "p-officer" });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Captain}].supervisorId", problem.Path);
        Assert.Contains("cycle", problem.Message);
        Assert.Contains("p-captain (Dan Captain) -> p-officer (Eve Officer) -> p-captain (Dan Captain)", problem.Message);
    }

    [Fact]
    public void A_longer_cycle_is_reported_once_naming_everyone_in_it()
    {
        var directory = Small()
            .WithPerson(DeskSergeant, desk => desk with { SupervisorId = "p-officer" })
            .WithPerson(Officer, officer => officer with { SupervisorId = "p-ia" })
            .WithPerson(Investigator, investigator => investigator with { SupervisorId = "p-desk" });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{DeskSergeant}].supervisorId", problem.Path);
        Assert.Contains("p-desk (Ben Desk) -> p-officer (Eve Officer) -> p-ia (Cleo Inquiry) -> p-desk (Ben Desk)", problem.Message);
    }

    [Fact]
    public void A_person_who_supervises_themself_is_rejected()
    {
        var directory = Small().WithPerson(Officer, officer => officer with { SupervisorId = "p-officer" });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Officer}].supervisorId", problem.Path);
        Assert.Contains("p-officer (Eve Officer) themself", problem.Message);
    }

    [Fact]
    public void More_than_one_person_without_a_supervisor_is_rejected_at_each_of_them()
    {
        var directory = Small().WithPerson(Officer, officer => officer with { SupervisorId = null });

        var problems = DirectoryValidator.Validate(directory);

        Assert.Equal(new[] { $"people[{Chief}].supervisorId", $"people[{Officer}].supervisorId" }, problems.Select(p => p.Path));
        Assert.All(problems, problem => Assert.Contains("only one person (the chief)", problem.Message));
        Assert.Contains("p-officer (Eve Officer)", problems[0].Message);
        Assert.Contains("p-chief (Ada Chief)", problems[1].Message);
    }

    [Fact]
    public void A_directory_where_everyone_has_a_supervisor_has_no_top_and_is_rejected()
    {
        var directory = Small().WithPerson(Chief, chief => chief with { SupervisorId = "p-officer" });

        var problems = DirectoryValidator.Validate(directory);

        Assert.Contains(problems, p => p.Path == "people" && p.Message.Contains("nobody has a null supervisorId"));
        Assert.Contains(problems, p => p.Path == $"people[{Chief}].supervisorId" && p.Message.Contains("cycle"));
    }

    [Fact]
    public void An_unknown_supervisor_is_rejected()
    {
        var directory = Small().WithPerson(Officer, officer => officer with { SupervisorId = "p-nobody" });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Officer}].supervisorId", problem.Path);
        Assert.Contains("'p-nobody', which is not the id of anyone in people", problem.Message);
    }

    [Fact]
    public void A_supervisor_that_is_a_unit_is_rejected_as_not_a_person()
    {
        var directory = Small().WithPerson(Officer, officer => officer with { SupervisorId = "u-patrol-1" });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Officer}].supervisorId", problem.Path);
        Assert.Contains("a supervisor must be a person", problem.Message);
    }

    // Unknown units

    [Fact]
    public void A_person_in_an_unknown_unit_is_rejected()
    {
        var directory = Small().WithPerson(Officer, officer => officer with { UnitId = "u-patrol-9" });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Officer}].unitId", problem.Path);
        Assert.Contains("'u-patrol-9'", problem.Message);
    }

    [Fact]
    public void A_routing_rule_to_an_unknown_unit_is_rejected()
    {
        var directory = Small().WithRule(1, rule => rule with { UnitId = "u-patrol-9" });

        var problem = SingleProblem(directory);

        Assert.Equal("routingRules[1].unitId", problem.Path);
        Assert.Contains("'u-patrol-9'", problem.Message);
    }

    [Fact]
    public void A_unit_with_an_unknown_parent_unit_is_rejected()
    {
        var directory = Small().WithUnit(Patrol1, unit => unit with { ParentUnitId = "u-patrol-bureau" });

        var problem = SingleProblem(directory);

        Assert.Equal($"units[{Patrol1}].parentUnitId", problem.Path);
        Assert.Contains("'u-patrol-bureau'", problem.Message);
    }

    [Fact]
    public void An_unknown_intake_desk_unit_is_rejected()
    {
        var directory = Small() with { IntakeDeskUnitId = "u-front-desk" };

        var problem = SingleProblem(directory);

        Assert.Equal("intakeDeskUnitId", problem.Path);
        Assert.Contains("'u-front-desk'", problem.Message);
    }

    [Fact]
    public void An_intake_desk_that_is_not_an_intake_unit_is_rejected()
    {
        var directory = Small() with { IntakeDeskUnitId = "u-ia" };

        var problem = SingleProblem(directory);

        Assert.Equal("intakeDeskUnitId", problem.Path);
        Assert.Contains("kind 'internal-affairs'", problem.Message);
    }

    [Fact]
    public void Parent_units_that_form_a_cycle_are_rejected()
    {
        var directory = Small().WithUnit(CommandUnit, unit => unit with { ParentUnitId = "u-patrol-1" });

        var problem = SingleProblem(directory);

        Assert.Equal($"units[{CommandUnit}].parentUnitId", problem.Path);
        Assert.Contains("'u-command' -> 'u-patrol-1' -> 'u-command'", problem.Message);
    }

    // Commanders

    [Fact]
    public void An_unknown_unit_commander_is_rejected()
    {
        var directory = Small().WithUnit(InternalAffairs, unit => unit with { CommanderId = "p-nobody" });

        var problem = SingleProblem(directory);

        Assert.Equal($"units[{InternalAffairs}].commanderId", problem.Path);
        Assert.Contains("'p-nobody', which is not the id of anyone in people", problem.Message);
    }

    [Fact]
    public void A_unit_commander_that_is_not_a_person_is_rejected()
    {
        var directory = Small().WithUnit(InternalAffairs, unit => unit with { CommanderId = "u-ia" });

        var problem = SingleProblem(directory);

        Assert.Equal($"units[{InternalAffairs}].commanderId", problem.Path);
        Assert.Contains("names unit 'u-ia', but a commander must be a person", problem.Message);
    }

    // Duplicates

    [Fact]
    public void A_duplicate_person_id_is_rejected_at_the_second_entry()
    {
        var twin = Small().People[Officer] with { Name = "Eve Twin", Badge = "999" };
        var directory = Small() with { People = Small().People.Plus(twin) };

        var problem = SingleProblem(directory);

        Assert.Equal("people[5].id", problem.Path);
        Assert.Contains($"'p-officer' is already the id of p-officer (Eve Officer) at people[{Officer}]", problem.Message);
    }

    [Fact]
    public void A_duplicate_badge_is_rejected_naming_its_holder()
    {
        var directory = Small().WithPerson(Officer, officer => officer with { Badge = "300" });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Officer}].badge", problem.Path);
        Assert.Contains($"'300' is already the badge of p-captain (Dan Captain) at people[{Captain}]", problem.Message);
    }

    [Fact]
    public void Badges_that_differ_only_in_case_are_duplicates()
    {
        var directory = Small().WithPerson(Captain, captain => captain with { Badge = "c-301" });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Officer}].badge", problem.Path);
    }

    [Fact]
    public void A_duplicate_unit_id_is_rejected_at_the_second_entry()
    {
        var copy = new OrgUnit { Id = "u-ia", Name = "Internal Affairs Annex", Kind = UnitKinds.InternalAffairs, CommanderId = "p-ia" };
        var directory = Small() with { Units = Small().Units.Plus(copy) };

        var problem = SingleProblem(directory);

        Assert.Equal("units[4].id", problem.Path);
        Assert.Contains($"'u-ia' is already the id of units[{InternalAffairs}]", problem.Message);
    }

    [Fact]
    public void Two_rules_for_the_same_category_and_district_are_rejected()
    {
        var copy = new RoutingRule { Category = "discourtesy", District = "1", UnitId = "u-ia" };
        var directory = Small() with { RoutingRules = Small().RoutingRules.Plus(copy) };

        var problem = SingleProblem(directory);

        Assert.Equal("routingRules[2]", problem.Path);
        Assert.Contains("as routingRules[1] already does", problem.Message);
    }

    // Vocabularies

    [Fact]
    public void A_role_outside_the_seven_is_rejected()
    {
        var directory = Small().WithPerson(Officer, officer => officer with { Roles = ["investigator", "detective"] });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Officer}].roles[1]", problem.Path);
        Assert.Contains("'detective' is not a role", problem.Message);
        Assert.Contains("intake-clerk, dispatcher, investigator, supervisor, commander, auditor, admin", problem.Message);
    }

    [Fact]
    public void A_person_without_roles_is_rejected()
    {
        var directory = Small().WithPerson(Officer, officer => officer with { Roles = [] });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Officer}].roles", problem.Path);
    }

    [Fact]
    public void A_category_outside_the_seven_is_rejected()
    {
        var directory = Small().WithRule(1, rule => rule with { Category = "rudeness" });

        var problem = SingleProblem(directory);

        Assert.Equal("routingRules[1].category", problem.Path);
        Assert.Contains("'rudeness' is not a complaint category", problem.Message);
        Assert.Contains(string.Join(", ", ComplaintCategories.All), problem.Message);
    }

    [Fact]
    public void A_rule_for_a_district_nobody_declares_is_rejected()
    {
        var directory = Small().WithRule(1, rule => rule with { District = "9" });

        var problem = SingleProblem(directory);

        Assert.Equal("routingRules[1].district", problem.Path);
        Assert.Contains("'9' is not a district", problem.Message);
    }

    [Fact]
    public void A_unit_of_an_unknown_kind_is_rejected()
    {
        var directory = Small().WithUnit(InternalAffairs, unit => unit with { Kind = "internal-affair" });

        var problem = SingleProblem(directory);

        Assert.Equal($"units[{InternalAffairs}].kind", problem.Path);
        Assert.Contains("'internal-affair' is not a unit kind", problem.Message);
    }

    [Fact]
    public void A_patrol_unit_without_a_district_is_rejected()
    {
        var directory = Small().WithUnit(Patrol1, unit => unit with { District = null });

        var problem = SingleProblem(directory);

        Assert.Equal($"units[{Patrol1}].district", problem.Path);
    }

    // Empty names and ids

    [Theory]
    [InlineData("department")]
    [InlineData("units[2].id")]
    [InlineData("units[2].name")]
    [InlineData("people[4].id")]
    [InlineData("people[4].name")]
    [InlineData("people[4].badge")]
    [InlineData("people[4].supervisorId")]
    [InlineData("routingRules[1].unitId")]
    public void An_empty_name_or_id_is_rejected_at_its_path(string path)
    {
        var directory = path switch
        {
            "department" => Small() with { Department = " " },
            "units[2].id" => Small().WithUnit(2, unit => unit with { Id = "" }),
            "units[2].name" => Small().WithUnit(2, unit => unit with { Name = "" }),
            "people[4].id" => Small().WithPerson(4, person => person with { Id = "" }),
            "people[4].name" => Small().WithPerson(4, person => person with { Name = "  " }),
            "people[4].badge" => Small().WithPerson(4, person => person with { Badge = "" }),
            "people[4].supervisorId" => Small().WithPerson(4, person => person with { SupervisorId = "" }),
            "routingRules[1].unitId" => Small().WithRule(1, rule => rule with { UnitId = "" }),
            _ => throw new ArgumentOutOfRangeException(nameof(path)),
        };

        var problems = DirectoryValidator.Validate(directory);

        // An empty unit id also leaves the rules and people that name it dangling; the empty id itself must be among the problems.
        Assert.Contains(problems, problem => problem.Path == path && problem.Message.StartsWith("is empty", StringComparison.Ordinal));
    }

    [Fact]
    public void A_null_entry_in_a_list_is_rejected_rather_than_crashing()
    {
        var directory = Small() with { People = Small().People.Plus([null!]) };

        var problem = SingleProblem(directory);

        Assert.Equal("people[5]", problem.Path);
    }

    // Contact details

    [Theory]
    [InlineData("eve.officer")]
    [InlineData("eve@officer")]
    [InlineData("eve@@testville.example")]
    [InlineData("eve officer@testville.example")]
    [InlineData("Eve <eve@testville.example>")]
    [InlineData("eve@testville..example")]
    [InlineData("")]
    public void A_malformed_email_is_rejected(string email)
    {
        var directory = Small().WithPerson(Officer, officer => officer with { Email = email });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Officer}].email", problem.Path);
        Assert.Contains($"'{email}' is not an e-mail address", problem.Message);
    }

    [Theory]
    [InlineData("hooks/ia")]
    [InlineData("/hooks/ia")]
    [InlineData("ftp://hooks.testville.example/ia")]
    [InlineData("file:///tmp/hook")]
    [InlineData("not a url")]
    [InlineData("")]
    public void A_webhook_url_that_is_not_an_absolute_http_url_is_rejected(string url)
    {
        var directory = Small().WithPerson(Investigator, person => person with { WebhookUrl = url });

        var problem = SingleProblem(directory);

        Assert.Equal($"people[{Investigator}].webhookUrl", problem.Path);
        Assert.Contains("is not an absolute http(s) URL", problem.Message);
    }

    [Fact]
    public void A_plain_http_webhook_on_a_named_host_is_accepted()
    {
        var directory = Small().WithPerson(Investigator, person => person with { WebhookUrl = "http://localhost:5104/hooks/ia" });

        Assert.Empty(DirectoryValidator.Validate(directory));
    }

    // Routing coverage

    [Fact]
    public void A_district_that_no_rule_covers_is_rejected_for_every_category()
    {
        var directory = Small() with
        {
            RoutingRules = [.. new[] { "1", "2", "3", "4" }.Select(d => new RoutingRule { Category = "*", District = d, UnitId = "u-ia" })],
        };

        var problems = DirectoryValidator.Validate(directory);

        Assert.Equal(ComplaintCategories.All.Count, problems.Count);
        Assert.All(problems, problem => Assert.Equal("routingRules", problem.Path));
        Assert.Equal(
            ComplaintCategories.All.Select(category => $"nothing routes category '{category}' in district '5'"),
            problems.Select(problem => problem.Message[..problem.Message.IndexOf(';')]));
    }

    [Fact]
    public void A_category_that_no_rule_covers_in_one_district_is_rejected()
    {
        var directory = Small() with
        {
            RoutingRules =
            [
                .. ComplaintCategories.All
                    .Where(category => category != ComplaintCategories.LackOfService)
                    .Select(category => new RoutingRule { Category = category, District = "*", UnitId = "u-ia" }),
                .. new[] { "1", "2", "4", "5" }
                    .Select(d => new RoutingRule { Category = ComplaintCategories.LackOfService, District = d, UnitId = "u-patrol-1" }),
            ],
        };

        var problem = SingleProblem(directory);

        Assert.Equal("routingRules", problem.Path);
        Assert.StartsWith("nothing routes category 'lack-of-service' in district '3'", problem.Message);
    }

    [Fact]
    public void A_district_declared_only_by_a_unit_must_be_routed_too()
    {
        var district6 = new OrgUnit { Id = "u-patrol-6", Name = "District 6 Patrol", Kind = UnitKinds.Patrol, District = "6", CommanderId = "p-captain" };
        var directory = Small() with
        {
            Units = Small().Units.Plus(district6),
            RoutingRules = [.. RoutingTable.StandardDistricts.Select(d => new RoutingRule { Category = "*", District = d, UnitId = "u-ia" })],
        };

        var problems = DirectoryValidator.Validate(directory);

        Assert.Equal(ComplaintCategories.All.Count, problems.Count);
        Assert.All(problems, problem => Assert.Contains("in district '6'", problem.Message));
    }

    private static DirectoryProblem SingleProblem(OrgDirectory directory)
    {
        var problems = DirectoryValidator.Validate(directory);
        Assert.True(problems.Count == 1, $"Expected exactly one problem, found {problems.Count}:\n{string.Join('\n', problems)}");
        return problems[0];
    }
}
