using Accountability.TestSupport;
using Accountability.TestSupport.Authorization;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>
/// Who may see and act, as one table (issue 12): every route of every running service, asked by a person in
/// each relationship to one real case. The expected outcomes are in authorization-matrix.txt beside this file;
/// the routes come from each process's own endpoint list, so a route added without a rule fails here. Beyond the status,
/// no answer to a person the case is hidden from may name it (lists filter; a status code alone would not show a leak).
/// </summary>
[Collection(nameof(FiveServices))]
public sealed class AuthorizationMatrixTests(FiveServices services)
{
    [Fact]
    public async Task Every_route_of_every_service_answers_each_relationship_as_the_expected_table_says()
    {
        var table = AuthorizationMatrix.Load();
        var world = await CaseWorld.BuildAsync(services["Intake"], services["Assignment"], services["Escalation"]);
        // Those for whom the case does not exist (the subject, his chain, an unrelated colleague, intake once it moved on).
        var hidden = table.Rules["case-read"].Where(r => r.Outcome == "hidden").Select(r => r.Relationship).ToHashSet();

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
                    var reply = await world.AskForReplyAsync(services[service], row.Method, row.Route, relationship, row.Query);
                    var asked = $"{service}: {row.Method} {row.Route}{row.Query} as {relationship} ({world.PersonOf(relationship) ?? "no token"})";
                    if (!AuthorizationMatrix.Matches(outcome, reply.Status))
                        problems.Add($"{asked}: expected {outcome}, got {(int)reply.Status}");
                    // A status is not enough for a list: whoever may not see the case must not find it in any answer either.
                    if (hidden.Contains(relationship) && reply.IsSuccess && reply.Body.Contains(world.CaseId.ToString(), StringComparison.OrdinalIgnoreCase))
                        problems.Add($"{asked}: the answer names the case, which is hidden from them");
                }
            }
        }

        Assert.True(problems.Count == 0, $"{problems.Count} difference(s) from the table:\n" + string.Join("\n", problems));
    }
}

