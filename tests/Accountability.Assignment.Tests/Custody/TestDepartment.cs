using System.Collections.Immutable;
using Accountability.Assignment.Features.Custody;

namespace Accountability.Assignment.Tests.Custody;

public sealed record TestPerson(
    string Id, string Badge, string UnitId, string? SupervisorId, bool IsSupervisor = false, bool IsActive = true, string[]? DispatchesFor = null,
    bool MayInvestigate = true);

/// <summary>
/// A small department for the custody rules. Chain of command:
/// chief ← {deputy, auditor}, deputy ← {sgt-intake ← clerk, dispatch}, {lt-ia ← sgt-ia ← inv-a, inv-b, inv-retired (inactive)},
/// {capt-p1 ← sgt-p1 ← ofc-p1a, ofc-p1b}, {capt-p2 ← ofc-p2a}. The clerk, the dispatcher and the auditor hold no role
/// that works cases.
/// </summary>
public sealed class TestDepartment : IDirectoryView
{
    public const string IntakeDesk = "intake-desk";
    public const string InternalAffairs = "internal-affairs";
    public const string Patrol1 = "patrol-1";
    public const string Patrol2 = "patrol-2";
    public const string Command = "command";

    private readonly ImmutableDictionary<string, TestPerson> people;
    private readonly ImmutableDictionary<string, string> commanders;

    private TestDepartment(ImmutableDictionary<string, TestPerson> people, ImmutableDictionary<string, string> commanders)
    {
        this.people = people;
        this.commanders = commanders;
        People = [.. people.Values.OrderBy(person => person.Id, StringComparer.Ordinal)];
        UnitIds = [.. commanders.Keys.OrderBy(id => id, StringComparer.Ordinal)];
    }

    public static TestDepartment Sample { get; } = new(
        new TestPerson[]
        {
            new("chief", "1000", Command, null, IsSupervisor: true),
            new("deputy", "1001", Command, "chief", IsSupervisor: true),
            new("sgt-intake", "2000", IntakeDesk, "deputy", IsSupervisor: true),
            new("clerk", "2001", IntakeDesk, "sgt-intake", MayInvestigate: false),
            new("lt-ia", "3000", InternalAffairs, "deputy", IsSupervisor: true),
            new("sgt-ia", "3001", InternalAffairs, "lt-ia", IsSupervisor: true),
            new("inv-a", "3002", InternalAffairs, "sgt-ia"),
            new("inv-b", "3003", InternalAffairs, "sgt-ia"),
            new("inv-retired", "3004", InternalAffairs, "sgt-ia", IsActive: false),
            new("capt-p1", "4000", Patrol1, "deputy", IsSupervisor: true),
            new("sgt-p1", "4001", Patrol1, "capt-p1", IsSupervisor: true),
            new("ofc-p1a", "4002", Patrol1, "sgt-p1"),
            new("ofc-p1b", "4003", Patrol1, "sgt-p1"),
            new("capt-p2", "5000", Patrol2, "deputy", IsSupervisor: true),
            new("ofc-p2a", "5001", Patrol2, "capt-p2"),
            new("dispatch", "2002", IntakeDesk, "sgt-intake", DispatchesFor: [Patrol1, InternalAffairs], MayInvestigate: false),
            new("auditor", "1002", Command, "chief", MayInvestigate: false),
        }.ToImmutableDictionary(person => person.Id),
        new Dictionary<string, string>
        {
            [Command] = "chief",
            [IntakeDesk] = "sgt-intake",
            [InternalAffairs] = "lt-ia",
            [Patrol1] = "capt-p1",
            [Patrol2] = "capt-p2",
        }.ToImmutableDictionary());

    /// <summary>Everyone, ordered by id so that random picks are reproducible.</summary>
    public IReadOnlyList<TestPerson> People { get; }

    public IReadOnlyList<string> UnitIds { get; }

    public TestPerson Person(string personId) => people[personId];

    public TestDepartment WithActive(string personId, bool isActive) =>
        new(people.SetItem(personId, people[personId] with { IsActive = isActive }), commanders);

    public DirectoryPerson? FindPerson(string personId) =>
        people.TryGetValue(personId, out var person) ? new DirectoryPerson(person.Id, person.Badge, person.IsActive, person.MayInvestigate) : null;

    public string? FindPersonIdByBadge(string badge) => people.Values.FirstOrDefault(person => person.Badge == badge)?.Id;

    public IReadOnlyList<string> ChainOfCommand(string personId)
    {
        var chain = new List<string>();
        var current = people.GetValueOrDefault(personId)?.SupervisorId;
        while (current is not null)
        {
            chain.Add(current);
            current = people[current].SupervisorId;
        }
        return chain;
    }

    public string? UnitCommander(string unitId) => commanders.GetValueOrDefault(unitId);

    public bool IsMemberOfUnit(string personId, string unitId) => people.GetValueOrDefault(personId)?.UnitId == unitId;

    public bool MayActForUnit(string personId, string unitId) =>
        UnitCommander(unitId) == personId || (IsMemberOfUnit(personId, unitId) && people[personId].IsSupervisor);

    public IReadOnlyList<string> UnitActors(string unitId) =>
        UnitCommander(unitId) is not { } commander
            ? []
            : people.Values.Where(person => person.UnitId == unitId && person.IsSupervisor).Select(person => person.Id)
                .OrderBy(id => id, StringComparer.Ordinal).Prepend(commander).Distinct(StringComparer.Ordinal).ToList();

    public string? InternalAffairsUnitId => InternalAffairs;

    public IReadOnlyList<string> InternalAffairsCommand => [commanders[InternalAffairs]];

    public bool DispatchesFor(string personId, string unitId) =>
        people.GetValueOrDefault(personId) is { IsActive: true, DispatchesFor: { } units } && units.Contains(unitId);

    public string? UnitOf(string personId) => people.GetValueOrDefault(personId)?.UnitId;
}
