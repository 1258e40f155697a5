using Accountability.TestSupport;
using Accountability.TestSupport.Authorization;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>
/// Who may see and act, as one table (issue 12): every route of every running service, asked by a person in
/// each relationship to one real case. The expected outcomes are in authorization-matrix.txt beside this file;
/// the routes come from each process's own endpoint list, so a route added without a rule fails here.
/// </summary>
[Collection(nameof(FiveServices))]
public sealed class AuthorizationMatrixTests(FiveServices services)
{
    [Fact]
    public async Task Every_route_of_every_service_answers_each_relationship_as_the_expected_table_says()
    {
        var table = AuthorizationMatrix.Load();
        var world = await CaseWorld.BuildAsync(services["Intake"], services["Assignment"]);

        var problems = new List<string>();
        foreach (var service in FiveServices.Names)
        {
            var listed = (await services[service].GetAsync("/api/ops/endpoints", world.TokenOf("p-1005"))).Ok()
                .EnumerateArray().Select(e => (Method: e.GetProperty("method").GetString()!, Route: e.GetProperty("route").GetString()!)).ToList();
            var expected = table.Routes.Where(r => r.Service == service.ToLowerInvariant()).ToList();
            foreach (var (method, route) in listed.Where(l => !expected.Any(e => e.Method == l.Method && e.Route == l.Route)))
                problems.Add($"{service}: {method} {route} has no rule in authorization-matrix.txt");
            foreach (var stale in expected.Where(e => !listed.Contains((e.Method, e.Route))))
                problems.Add($"{service}: {stale.Method} {stale.Route} is in authorization-matrix.txt but the service does not answer it");

            foreach (var row in expected.Where(e => listed.Contains((e.Method, e.Route))))
            {
                foreach (var (relationship, outcome) in table.Rules[row.Rule])
                {
                    var status = await world.AskAsync(services[service], row.Method, row.Route, relationship);
                    if (!AuthorizationMatrix.Matches(outcome, status))
                        problems.Add($"{service}: {row.Method} {row.Route} as {relationship} ({world.PersonOf(relationship) ?? "no token"}): expected {outcome}, got {(int)status}");
                }
            }
        }

        Assert.True(problems.Count == 0, $"{problems.Count} difference(s) from the table:\n" + string.Join("\n", problems));
    }
}

