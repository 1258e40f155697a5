using Accountability.Contracts.Intake;
using System.Net.Mail;
using Accountability.Contracts.Directory;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Assignment.Features.Directory;

/// <summary>
/// Checks a directory for everything that would break routing or custody: unknown references, duplicates,
/// a chain of command that is not one tree, unknown roles and categories, and category × district pairs with no route.
/// Tolerates nulls anywhere, because a directory may come from hand-edited JSON.
/// </summary>
public static class DirectoryValidator
{
    public static IReadOnlyList<DirectoryProblem> Validate(OrgDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return new Validation(directory).Run();
    }

    private sealed class Validation(OrgDirectory directory)
    {
        private readonly List<DirectoryProblem> _problems = [];
        private readonly IReadOnlyList<OrgUnit?> _units = directory.Units ?? [];
        private readonly IReadOnlyList<OrgPerson?> _people = directory.People ?? [];
        private readonly IReadOnlyList<RoutingRule?> _rules = directory.RoutingRules ?? [];

        // The index of the first entry with each id. Later duplicates are reported and left out,
        // so that the remaining checks see one of each.
        private readonly Dictionary<string, int> _unitIndex = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _personIndex = new(StringComparer.Ordinal);

        public IReadOnlyList<DirectoryProblem> Run()
        {
            if (IsBlank(directory.Department))
                Add("department", "is empty; give the department's name");
            if (directory.Units is null)
                Add("units", "is missing; list the department's units");
            if (directory.People is null)
                Add("people", "is missing; list the department's people");
            if (directory.RoutingRules is null)
                Add("routingRules", "is missing; list the rules that route each category and district to a unit");

            IndexUnits();
            IndexPeople();
            CheckIntakeDesk();
            CheckUnits();
            CheckPeople();
            CheckTopOfChainOfCommand();
            CheckChainOfCommandCycles();
            CheckParentUnitCycles();
            var districts = KnownDistricts();
            CheckRoutingRules(districts);
            CheckRoutingCoverage(districts);
            return _problems;
        }

        private void IndexUnits()
        {
            for (var i = 0; i < _units.Count; i++)
            {
                var unit = _units[i];
                if (unit is null)
                    Add($"units[{i}]", "is null; remove it or give the unit's fields");
                else if (IsBlank(unit.Id))
                    Add($"units[{i}].id", "is empty; every unit needs an id");
                else if (!_unitIndex.TryAdd(unit.Id, i))
                    Add($"units[{i}].id", $"'{unit.Id}' is already the id of units[{_unitIndex[unit.Id]}] ({_units[_unitIndex[unit.Id]]!.Name}); unit ids must be unique");
            }
        }

        private void IndexPeople()
        {
            // Badges are compared ignoring case: "c-2041" and "C-2041" are the same badge.
            var badgeIndex = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < _people.Count; i++)
            {
                var person = _people[i];
                if (person is null)
                {
                    Add($"people[{i}]", "is null; remove it or give the person's fields");
                    continue;
                }

                if (IsBlank(person.Id))
                    Add($"people[{i}].id", "is empty; every person needs an id");
                else if (!_personIndex.TryAdd(person.Id, i))
                    Add($"people[{i}].id", $"'{person.Id}' is already the id of {Who(_personIndex[person.Id])} at people[{_personIndex[person.Id]}]; person ids must be unique");

                if (IsBlank(person.Badge))
                    Add($"people[{i}].badge", "is empty; every person needs a badge number (civilian staff use their employee number)");
                else if (!badgeIndex.TryAdd(person.Badge, i))
                    Add($"people[{i}].badge", $"'{person.Badge}' is already the badge of {Who(badgeIndex[person.Badge])} at people[{badgeIndex[person.Badge]}]; badges must be unique");
            }
        }

        private void CheckIntakeDesk()
        {
            var id = directory.IntakeDeskUnitId;
            if (IsBlank(id))
                Add("intakeDeskUnitId", $"is empty; name the unit that owns every case from receipt (a unit of kind '{UnitKinds.Intake}')");
            else if (!_unitIndex.TryGetValue(id, out var index))
                Add("intakeDeskUnitId", UnknownUnit(id));
            else if (_units[index]!.Kind != UnitKinds.Intake)
                Add("intakeDeskUnitId", $"names unit '{id}', which is of kind '{_units[index]!.Kind}'; the intake desk must be a unit of kind '{UnitKinds.Intake}'");
        }

        private void CheckUnits()
        {
            for (var i = 0; i < _units.Count; i++)
            {
                if (_units[i] is not { } unit)
                    continue;

                if (IsBlank(unit.Name))
                    Add($"units[{i}].name", "is empty; every unit needs a name");

                if (IsBlank(unit.Kind))
                    Add($"units[{i}].kind", $"is empty; use one of: {List(UnitKinds.All)}");
                else if (!UnitKinds.IsKnown(unit.Kind))
                    Add($"units[{i}].kind", $"'{unit.Kind}' is not a unit kind; use one of: {List(UnitKinds.All)}");

                if (unit.District == RoutingTable.Any)
                    Add($"units[{i}].district", $"'{RoutingTable.Any}' is the routing wildcard, not a district");
                else if (unit.District is not null && IsBlank(unit.District))
                    Add($"units[{i}].district", "is empty; omit it for a department-wide unit, or name the district the unit serves");
                else if (unit.Kind == UnitKinds.Patrol && unit.District is null)
                    Add($"units[{i}].district", "is missing; a patrol unit must name the district it serves");

                if (unit.ParentUnitId is not null)
                {
                    if (IsBlank(unit.ParentUnitId))
                        Add($"units[{i}].parentUnitId", "is empty; omit it for a top-level unit, or name the parent unit");
                    else if (!_unitIndex.ContainsKey(unit.ParentUnitId))
                        Add($"units[{i}].parentUnitId", UnknownUnit(unit.ParentUnitId));
                }

                if (IsBlank(unit.CommanderId))
                    Add($"units[{i}].commanderId", "is empty; name the person who commands the unit");
                else if (!_personIndex.ContainsKey(unit.CommanderId))
                    Add($"units[{i}].commanderId", NotAPerson(unit.CommanderId, "a commander"));
            }
        }

        private void CheckPeople()
        {
            for (var i = 0; i < _people.Count; i++)
            {
                if (_people[i] is not { } person)
                    continue;

                if (IsBlank(person.Name))
                    Add($"people[{i}].name", "is empty; every person needs a name");

                if (IsBlank(person.UnitId))
                    Add($"people[{i}].unitId", "is empty; name the unit the person belongs to");
                else if (!_unitIndex.ContainsKey(person.UnitId))
                    Add($"people[{i}].unitId", UnknownUnit(person.UnitId));

                CheckRoles(i, person.Roles);
                CheckDispatchesFor(i, person);

                if (person.SupervisorId is not null)
                {
                    if (IsBlank(person.SupervisorId))
                        Add($"people[{i}].supervisorId", "is empty; use null for the chief, otherwise name the person's supervisor");
                    else if (!_personIndex.ContainsKey(person.SupervisorId))
                        Add($"people[{i}].supervisorId", NotAPerson(person.SupervisorId, "a supervisor"));
                }

                if (person.Email is not null && !IsWellFormedEmail(person.Email))
                    Add($"people[{i}].email", $"'{person.Email}' is not an e-mail address (expected first.last@department.example); omit the field if the person has none");

                if (person.WebhookUrl is not null && !IsAbsoluteHttpUrl(person.WebhookUrl))
                    Add($"people[{i}].webhookUrl", $"'{person.WebhookUrl}' is not an absolute http(s) URL (expected e.g. https://hooks.department.example/notify); omit the field if the person has none");
            }
        }

        private void CheckDispatchesFor(int personIndex, OrgPerson person)
        {
            if (person.DispatchesFor is not { Count: > 0 } units)
                return;
            if (person.Roles is null || !person.Roles.Contains(Roles.Dispatcher))
                Add($"people[{personIndex}].dispatchesFor", "is only for dispatchers; give the person the dispatcher role or remove the list");
            for (var j = 0; j < units.Count; j++)
            {
                if (IsBlank(units[j]))
                    Add($"people[{personIndex}].dispatchesFor[{j}]", "is empty; name a unit");
                else if (!_unitIndex.ContainsKey(units[j]))
                    Add($"people[{personIndex}].dispatchesFor[{j}]", UnknownUnit(units[j]));
            }
        }

        private void CheckRoles(int personIndex, IReadOnlyList<string?>? roles)
        {
            if (roles is null || roles.Count == 0)
            {
                Add($"people[{personIndex}].roles", $"is empty; give at least one of: {List(Roles.All)}");
                return;
            }

            for (var j = 0; j < roles.Count; j++)
            {
                if (roles[j] is not { } role || !Roles.All.Contains(role, StringComparer.Ordinal))
                    Add($"people[{personIndex}].roles[{j}]", $"'{roles[j]}' is not a role; use one of: {List(Roles.All)}");
            }
        }

        private void CheckTopOfChainOfCommand()
        {
            var tops = Enumerable.Range(0, _people.Count)
                .Where(i => _people[i] is { SupervisorId: null })
                .ToList();

            if (tops.Count == 0 && _people.Count > 0)
            {
                Add("people", "nobody has a null supervisorId; exactly one person (the chief) must be at the top of the chain of command");
                return;
            }

            if (tops.Count == 1)
                return;

            foreach (var top in tops)
            {
                var others = string.Join(", ", tops.Where(other => other != top).Select(other => $"{Who(other)} at people[{other}]"));
                Add($"people[{top}].supervisorId",
                    $"is null, and so is the supervisorId of {others}; only one person (the chief) may be at the top of the chain of command, so name a supervisor for all but one");
            }
        }

        private void CheckChainOfCommandCycles()
        {
            int? SupervisorOf(int i) =>
                _people[i]!.SupervisorId is { } id && _personIndex.TryGetValue(id, out var supervisor) ? supervisor : null;

            foreach (var cycle in FindCycles(_personIndex.Values, _people.Count, SupervisorOf))
            {
                var first = cycle[0];
                if (cycle.Count == 1)
                {
                    Add($"people[{first}].supervisorId", $"names {Who(first)} themself; nobody can be their own supervisor");
                    continue;
                }

                var loop = string.Join(" -> ", cycle.Append(first).Select(Who));
                Add($"people[{first}].supervisorId",
                    $"forms a cycle in the chain of command: {loop}; one of them must report to someone outside the cycle");
            }
        }

        private void CheckParentUnitCycles()
        {
            int? ParentOf(int i) =>
                _units[i]!.ParentUnitId is { } id && _unitIndex.TryGetValue(id, out var parent) ? parent : null;

            foreach (var cycle in FindCycles(_unitIndex.Values, _units.Count, ParentOf))
            {
                var first = cycle[0];
                var loop = string.Join(" -> ", cycle.Append(first).Select(i => $"'{_units[i]!.Id}'"));
                Add($"units[{first}].parentUnitId", $"forms a cycle of parent units: {loop}; one of them must have no parent or a parent outside the cycle");
            }
        }

        /// <summary>The standard districts, then any other district a unit declares, in file order.</summary>
        private List<string> KnownDistricts()
        {
            var declared = _units
                .Select(unit => unit?.District)
                .OfType<string>()
                .Where(district => !IsBlank(district) && district != RoutingTable.Any);
            return RoutingTable.StandardDistricts.Concat(declared).Distinct(StringComparer.Ordinal).ToList();
        }

        private void CheckRoutingRules(List<string> districts)
        {
            var seen = new Dictionary<(string Category, string District), int>();
            for (var i = 0; i < _rules.Count; i++)
            {
                if (_rules[i] is not { } rule)
                {
                    Add($"routingRules[{i}]", "is null; remove it or give the rule's fields");
                    continue;
                }

                if (IsBlank(rule.Category))
                    Add($"routingRules[{i}].category", $"is empty; use one of: {List(ComplaintCategories.All)}, or '{RoutingTable.Any}' for any");
                else if (rule.Category != RoutingTable.Any && !ComplaintCategories.IsKnown(rule.Category))
                    Add($"routingRules[{i}].category", $"'{rule.Category}' is not a complaint category; use one of: {List(ComplaintCategories.All)}, or '{RoutingTable.Any}' for any");

                if (IsBlank(rule.District))
                    Add($"routingRules[{i}].district", $"is empty; use one of: {List(districts)}, or '{RoutingTable.Any}' for any");
                else if (rule.District != RoutingTable.Any && !districts.Contains(rule.District, StringComparer.Ordinal))
                    Add($"routingRules[{i}].district", $"'{rule.District}' is not a district; use one of: {List(districts)}, or '{RoutingTable.Any}' for any (a unit's district field declares a new one)");

                if (IsBlank(rule.UnitId))
                    Add($"routingRules[{i}].unitId", "is empty; name the unit that investigates this category in this district");
                else if (!_unitIndex.ContainsKey(rule.UnitId))
                    Add($"routingRules[{i}].unitId", UnknownUnit(rule.UnitId));

                if (!IsBlank(rule.Category) && !IsBlank(rule.District) && !seen.TryAdd((rule.Category, rule.District), i))
                    Add($"routingRules[{i}]", $"routes '{rule.Category}' in district '{rule.District}', as routingRules[{seen[(rule.Category, rule.District)]}] already does; keep one of the two");
            }
        }

        private void CheckRoutingCoverage(List<string> districts)
        {
            var table = new RoutingTable(_rules);
            foreach (var category in ComplaintCategories.All)
            {
                foreach (var district in districts)
                {
                    if (table.Resolve(category, district) is null)
                        Add("routingRules", $"nothing routes category '{category}' in district '{district}'; add a rule for it, or a '{RoutingTable.Any}' rule that covers it");
                }
            }
        }

        /// <summary>Cycles in a graph where every node has at most one successor, each cycle starting at its smallest index.</summary>
        private static List<List<int>> FindCycles(IEnumerable<int> nodes, int size, Func<int, int?> next)
        {
            var state = new byte[size]; // 0 unseen, 1 on the current walk, 2 finished
            var cycles = new List<List<int>>();
            foreach (var start in nodes.Order())
            {
                var walk = new List<int>();
                var current = (int?)start;
                while (current is { } node && state[node] == 0)
                {
                    state[node] = 1;
                    walk.Add(node);
                    current = next(node);
                }

                if (current is { } reached && state[reached] == 1)
                {
                    var cycle = walk[walk.IndexOf(reached)..];
                    var smallest = cycle.IndexOf(cycle.Min());
                    cycles.Add([.. cycle[smallest..], .. cycle[..smallest]]);
                }

                foreach (var node in walk)
                    state[node] = 2;
            }

            return cycles;
        }

        private string UnknownUnit(string id) => $"names unit '{id}', which is not the id of any unit in units";

        private string NotAPerson(string id, string what) => _unitIndex.ContainsKey(id)
            ? $"names unit '{id}', but {what} must be a person (an id from people)"
            : $"names '{id}', which is not the id of anyone in people";

        private string Who(int personIndex) => _people[personIndex] is { } person
            ? $"{person.Id} ({person.Name})"
            : $"people[{personIndex}]";

        private void Add(string path, string message) => _problems.Add(new DirectoryProblem(path, message));
    }

    private static bool IsBlank(string? value) => string.IsNullOrWhiteSpace(value);

    private static string List(IEnumerable<string> values) => string.Join(", ", values);

    private static bool IsWellFormedEmail(string email)
    {
        if (email.Length > 254 || email.Any(char.IsWhiteSpace))
            return false;

        var at = email.IndexOf('@');
        if (at <= 0 || at != email.LastIndexOf('@'))
            return false;

        // MailAddress accepts "a@b" and display names; a notification address needs a plain address with a dotted domain.
        var labels = email[(at + 1)..].Split('.');
        var domainIsDotted = labels.Length >= 2 && labels.All(label =>
            label.Length > 0 && label[0] != '-' && label[^1] != '-' && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));

        return domainIsDotted && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email;
    }

    private static bool IsAbsoluteHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && !string.IsNullOrEmpty(uri.Host);
}
