using Accountability.Assignment.Features.Directory;
using Accountability.Contracts.Directory;

namespace Accountability.Assignment.Tests.Directory;

/// <summary>A small valid directory to break one thing at a time, and the way to the shipped sample.</summary>
internal static class TestDirectories
{
    // Indexes into Small().People, so that tests can name the paths they expect.
    public const int Chief = 0;
    public const int DeskSergeant = 1;
    public const int Investigator = 2;
    public const int Captain = 3;
    public const int Officer = 4;

    // Indexes into Small().Units.
    public const int CommandUnit = 0;
    public const int IntakeDesk = 1;
    public const int InternalAffairs = 2;
    public const int Patrol1 = 3;

    public static OrgDirectory Small() => new()
    {
        Department = "Testville Police Department",
        IntakeDeskUnitId = "u-desk",
        Units =
        [
            new OrgUnit { Id = "u-command", Name = "Office of the Chief", Kind = UnitKinds.Command, CommanderId = "p-chief" },
            new OrgUnit { Id = "u-desk", Name = "Intake Desk", Kind = UnitKinds.Intake, ParentUnitId = "u-command", CommanderId = "p-desk" },
            new OrgUnit { Id = "u-ia", Name = "Internal Affairs", Kind = UnitKinds.InternalAffairs, ParentUnitId = "u-command", CommanderId = "p-ia" },
            new OrgUnit { Id = "u-patrol-1", Name = "District 1 Patrol", Kind = UnitKinds.Patrol, District = "1", ParentUnitId = "u-command", CommanderId = "p-captain" },
        ],
        People =
        [
            new OrgPerson { Id = "p-chief", Name = "Ada Chief", Badge = "1", UnitId = "u-command", Roles = ["commander"], Email = "ada.chief@testville.example" },
            new OrgPerson { Id = "p-desk", Name = "Ben Desk", Badge = "100", UnitId = "u-desk", Roles = ["supervisor", "intake-clerk"], SupervisorId = "p-chief" },
            new OrgPerson { Id = "p-ia", Name = "Cleo Inquiry", Badge = "200", UnitId = "u-ia", Roles = ["commander", "investigator"], SupervisorId = "p-chief", WebhookUrl = "https://hooks.testville.example/ia" },
            new OrgPerson { Id = "p-captain", Name = "Dan Captain", Badge = "300", UnitId = "u-patrol-1", Roles = ["commander"], SupervisorId = "p-chief" },
            new OrgPerson { Id = "p-officer", Name = "Eve Officer", Badge = "C-301", UnitId = "u-patrol-1", Roles = ["investigator"], SupervisorId = "p-captain", Email = "eve.officer@testville.example" },
        ],
        RoutingRules =
        [
            new RoutingRule { Category = "*", District = "*", UnitId = "u-ia" },
            new RoutingRule { Category = "discourtesy", District = "1", UnitId = "u-patrol-1" },
        ],
    };

    public static OrgDirectory WithPerson(this OrgDirectory directory, int index, Func<OrgPerson, OrgPerson> change) =>
        directory with { People = directory.People.Replace(index, change) };

    public static OrgDirectory WithUnit(this OrgDirectory directory, int index, Func<OrgUnit, OrgUnit> change) =>
        directory with { Units = directory.Units.Replace(index, change) };

    public static OrgDirectory WithRule(this OrgDirectory directory, int index, Func<RoutingRule, RoutingRule> change) =>
        directory with { RoutingRules = directory.RoutingRules.Replace(index, change) };

    public static IReadOnlyList<T> Replace<T>(this IReadOnlyList<T> items, int index, Func<T, T> change) =>
        [.. items.Select((item, i) => i == index ? change(item) : item)];

    public static IReadOnlyList<T> Plus<T>(this IReadOnlyList<T> items, params T[] more) => [.. items, .. more];

    /// <summary>deploy/org/directory.json, found by walking up from the test binaries to the folder that holds Accountability.sln.</summary>
    public static string SampleDirectoryPath()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Accountability.sln")))
                return Path.Combine(folder.FullName, "deploy", "org", "directory.json");
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds Accountability.sln.");
    }
}
