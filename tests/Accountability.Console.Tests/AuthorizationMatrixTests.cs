using System.Net;
using System.Text.Json;
using Accountability.Console.Tests.Support;
using Accountability.TestSupport.Authorization;
using Microsoft.Playwright;
using Xunit;

namespace Accountability.Console.Tests;

/// <summary>
/// The console's pages in the same table as the services' routes (tests/Accountability.Platform.Tests/authorization-matrix.txt):
/// each page the running console lists, opened by a signed-in person in each relationship to one real case.
/// A page answers a sign-in redirect where a service answers 401, and the "not allowed" page where it answers 403.
/// </summary>
[Collection(nameof(ConsoleSystem))]
public sealed class AuthorizationMatrixTests(ConsoleSystem system)
{
    [Fact]
    public async Task Every_console_page_answers_each_relationship_as_the_expected_table_says()
    {
        var table = AuthorizationMatrix.Load();
        var world = await CaseWorld.BuildAsync(system.Intake, system.Assignment, system.Escalation);
        var browsers = new Dictionary<string, IPage>();
        foreach (var relationship in CaseWorld.Relationships)
            browsers[relationship] = world.PersonOf(relationship) is { } person ? await system.SignedInAsAsync(person) : await system.OpenAsync();

        var listed = await browsers["admin"].APIRequest.GetAsync(Accountability.ServiceDefaults.Http.EndpointList.Path);
        Assert.True(listed.Ok, $"{listed.Status}: {await listed.TextAsync()}");
        var routes = JsonDocument.Parse(await listed.TextAsync()).RootElement.EnumerateArray()
            .Select(e => (Method: e.GetProperty("method").GetString()!, Route: e.GetProperty("route").GetString()!)).ToList();

        var problems = new List<string>();
        var expected = table.Routes.Where(r => r.Service == "console").ToList();
        foreach (var (method, route) in routes.Where(l => !expected.Any(e => e.Method == l.Method && e.Route == l.Route)))
            problems.Add($"console: {method} {route} has no rule in authorization-matrix.txt");
        foreach (var stale in expected.Where(e => !routes.Contains((e.Method, e.Route))))
            problems.Add($"console: {stale.Method} {stale.Route} is in authorization-matrix.txt but the console does not answer it");

        foreach (var row in expected.Where(e => routes.Contains((e.Method, e.Route)) && e.Method == "GET"))
        {
            foreach (var (relationship, outcome) in table.Rules[row.Rule])
            {
                var status = await OpenAsync(browsers[relationship], world.Fill(row.Route, world.PersonOf(relationship)));
                if (!AuthorizationMatrix.Matches(outcome, status))
                    problems.Add($"console: {row.Route} as {relationship} ({world.PersonOf(relationship) ?? "not signed in"}): expected {outcome}, got {(int)status}");
            }
        }

        Assert.True(problems.Count == 0, $"{problems.Count} difference(s) from the table:\n" + string.Join("\n", problems));
    }

    /// <summary>The page's status, with the sign-in redirect read as 401 and the "not allowed" redirect as 403.</summary>
    private async Task<HttpStatusCode> OpenAsync(IPage browser, string path)
    {
        // With the browser's own cookies, but reading headers only: the live stream never ends.
        var cookies = await browser.Context.CookiesAsync();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = system.Console.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookies.Count > 0)
            request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}")));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther && response.Headers.Location is { } location)
        {
            var target = location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString;
            if (target.StartsWith("/signin", StringComparison.Ordinal))
                return HttpStatusCode.Unauthorized;
            if (target.StartsWith("/denied", StringComparison.Ordinal))
                return HttpStatusCode.Forbidden;
        }
        return response.StatusCode;
    }
}
