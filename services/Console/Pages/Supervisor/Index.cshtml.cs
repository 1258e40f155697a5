using Accountability.Console.Backend;
using Accountability.ServiceDefaults.Security;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.Supervisor;

public sealed record InvestigatorLoad(string PersonId, string Name, string UnitName, int OpenCases, int Unacknowledged, int Overdue);

/// <summary>
/// What a supervisor answers for: escalations of cases in the units below them (or sent to them),
/// the open load of each person below them, and how satisfied complainants were, per unit.
/// An admin sees the whole department.
/// </summary>
public sealed class IndexModel(ServiceApi api, DirectoryClient directory) : PageModel
{
    public IReadOnlyList<EscalationDto> Escalations { get; private set; } = [];
    public IReadOnlyList<InvestigatorLoad> Load { get; private set; } = [];
    public IReadOnlyList<UnitSatisfactionDto> Satisfaction { get; private set; } = [];
    public IReadOnlySet<string> Units { get; private set; } = new HashSet<string>();
    public OrgChart? Chart { get; private set; }
    public List<ApiProblem> Problems { get; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var chart = await directory.CurrentAsync(ct);
        if (!chart.Ok)
        {
            Problems.Add(chart.Problem!);
            return;
        }
        Chart = chart.Value!;
        var me = User.PersonId();
        var everyone = User.IsInRole(Roles.Admin);
        Units = everyone ? Chart.Units.Select(u => u.Id).ToHashSet() : Chart.UnitsBelow(me);
        var people = everyone ? Chart.People.Select(p => p.Id).ToHashSet() : Chart.PeopleBelow(me);

        var escalations = await api.GetAsync<List<EscalationDto>>(Service.Escalation, "/api/escalations?limit=500", ct);
        if (escalations.Ok)
            Escalations = escalations.Value!.Where(e => e.ToPersonId == me || everyone
                || (e.OwnerKind == "person" ? people.Contains(e.OwnerId) : Units.Contains(e.OwnerId))).ToList();
        else
            Problems.Add(escalations.Problem! with { Title = $"Escalations are not shown: {escalations.Problem!.Title}" });

        var load = new Dictionary<string, (int Open, int Unacknowledged, int Overdue)>();
        foreach (var unit in Units)
        {
            var cases = await api.GetAsync<List<CaseDto>>(Service.Assignment, $"/api/cases?status=open&unit={Uri.EscapeDataString(unit)}&limit=500", ct);
            if (!cases.Ok)
            {
                Problems.Add(cases.Problem! with { Title = $"The load is not complete: {cases.Problem!.Title}" });
                break;
            }
            foreach (var c in cases.Value!.Where(c => c.Owner.Kind == "person"))
            {
                var current = load.GetValueOrDefault(c.Owner.Id);
                load[c.Owner.Id] = (current.Open + 1, current.Unacknowledged + (c.Acknowledged ? 0 : 1), current.Overdue + (c.Overdue ? 1 : 0));
            }
        }
        Load = people.Select(id => Chart.Person(id)!).Where(p => p.Active && p.Roles.Contains(Roles.Investigator))
            .Select(p =>
            {
                var (open, unacknowledged, overdue) = load.GetValueOrDefault(p.Id);
                return new InvestigatorLoad(p.Id, p.Name, Chart.UnitName(p.UnitId), open, unacknowledged, overdue);
            })
            .OrderByDescending(l => l.OpenCases).ThenBy(l => l.Name).ToList();

        var satisfaction = await api.GetAsync<SatisfactionDto>(Service.Notification, "/api/satisfaction", ct);
        if (satisfaction.Ok)
            Satisfaction = satisfaction.Value!.Units.Where(u => everyone || (u.UnitId is not null && Units.Contains(u.UnitId))).ToList();
        else
            Problems.Add(satisfaction.Problem! with { Title = $"Satisfaction is not shown: {satisfaction.Problem!.Title}" });
    }
}
