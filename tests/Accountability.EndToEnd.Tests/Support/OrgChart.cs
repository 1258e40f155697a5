using Accountability.TestSupport;
using System.Text.Json;

namespace Accountability.EndToEnd.Tests.Support;

public sealed record Person(string Id, string Name, string Badge, string UnitId, IReadOnlyList<string> Roles, string? SupervisorId, bool Active);

public sealed record Unit(string Id, string Name, string CommanderId);

/// <summary>
/// The org directory as assignment serves it (GET /api/directory): the tests pick their people from
/// it, instead of trusting ids copied from the sample file.
/// </summary>
public sealed class OrgChart
{
    private readonly Dictionary<string, Person> people;
    private readonly Dictionary<string, Unit> units;

    private OrgChart(string intakeDeskUnitId, IEnumerable<Person> people, IEnumerable<Unit> units)
    {
        IntakeDeskUnitId = intakeDeskUnitId;
        this.people = people.ToDictionary(p => p.Id);
        this.units = units.ToDictionary(u => u.Id);
    }

    public string IntakeDeskUnitId { get; }

    public IEnumerable<Person> People => people.Values;

    public static OrgChart Parse(JsonElement answer)
    {
        var directory = answer.GetProperty("directory");
        return new OrgChart(
            directory.GetProperty("intakeDeskUnitId").GetString()!,
            directory.GetProperty("people").EnumerateArray().Select(p => new Person(
                p.GetProperty("id").GetString()!,
                p.GetProperty("name").GetString()!,
                p.GetProperty("badge").GetString()!,
                p.GetProperty("unitId").GetString()!,
                [.. p.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!)],
                p.TryGetProperty("supervisorId", out var supervisor) && supervisor.ValueKind == JsonValueKind.String ? supervisor.GetString() : null,
                !p.TryGetProperty("active", out var active) || active.GetBoolean())),
            directory.GetProperty("units").EnumerateArray().Select(u => new Unit(
                u.GetProperty("id").GetString()!, u.GetProperty("name").GetString()!, u.GetProperty("commanderId").GetString()!)));
    }

    public Person Person(string id) => people.TryGetValue(id, out var person) ? person : throw new KeyNotFoundException($"Nobody with id {id} in the directory.");

    public Unit Unit(string id) => units.TryGetValue(id, out var unit) ? unit : throw new KeyNotFoundException($"No unit {id} in the directory.");

    public Person? ByBadge(string badge) => people.Values.FirstOrDefault(p => p.Badge == badge);

    /// <summary>Everyone above a person, nearest first.</summary>
    public IReadOnlyList<Person> ChainAbove(string personId)
    {
        var chain = new List<Person>();
        var seen = new HashSet<string> { personId };
        for (var next = Person(personId).SupervisorId; next is not null && seen.Add(next) && people.TryGetValue(next, out var boss); next = boss.SupervisorId)
            chain.Add(boss);
        return chain;
    }

    /// <summary>The subject officer and their whole chain of command: nobody in it may hold the complaint.</summary>
    public IReadOnlySet<string> Conflicted(string subjectBadge)
    {
        var subject = ByBadge(subjectBadge) ?? throw new KeyNotFoundException($"No officer with badge {subjectBadge}.");
        return new HashSet<string>([subject.Id, .. ChainAbove(subject.Id).Select(p => p.Id)]);
    }

    /// <summary>Active investigators of a unit.</summary>
    public IEnumerable<Person> Investigators(string unitId) =>
        people.Values.Where(p => p.UnitId == unitId && p.Active && p.Roles.Contains("investigator")).OrderBy(p => p.Id, StringComparer.Ordinal);

    /// <summary>Who the escalation service goes to above a person: the first active supervisor.</summary>
    public Person? FirstActiveAbove(string personId) => ChainAbove(personId).FirstOrDefault(p => p.Active);
}
