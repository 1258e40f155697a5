using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Chaos.Fuzz;

/// <summary>
/// What a fuzz campaign needs around it: a database of its own (so the row counts see nothing but the
/// fuzzed requests), real cases and a pending handoff in it (so refusals come from deep inside the
/// endpoints, not just from a 404), and tokens.
/// </summary>
public static class FuzzSetup
{
    /// <summary>Files a few valid complaints, waits until they are routed, opens one handoff, and returns the generator's context.</summary>
    public static async Task<FuzzContext> PrepareAsync(Uri intake, Uri assignment, string signingKey, string directoryPath, string open311ApiKey, int cases = 3)
    {
        var auth = new AuthOptions { SigningKey = signingKey };
        var directory = JsonDocument.Parse(await File.ReadAllTextAsync(directoryPath));
        string PersonWith(string role) => directory.RootElement.GetProperty("people").EnumerateArray()
            .First(p => p.GetProperty("roles").EnumerateArray().Any(r => r.GetString() == role)).GetProperty("id").GetString()!;
        string Token(string person, params string[] roles) => LocalTokens.Issue(auth, person, roles, TimeSpan.FromHours(2));

        var tokens = new FuzzTokens(
            Clerk: Token(PersonWith(Roles.IntakeClerk), Roles.IntakeClerk),
            Admin: Token(PersonWith(Roles.Admin), Roles.Admin),
            Auditor: Token(PersonWith(Roles.Auditor), Roles.Auditor),
            Expired: LocalTokens.Issue(auth, PersonWith(Roles.Admin), [Roles.Admin], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow.AddHours(-2)),
            ForeignlySigned: LocalTokens.Issue(new AuthOptions { SigningKey = "a-key-that-no-service-was-ever-configured-with-0123456789" },
                PersonWith(Roles.Admin), [Roles.Admin], TimeSpan.FromHours(1)),
            Supervisor: Token(PersonWith(Roles.Supervisor), Roles.Supervisor));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var filed = new List<Guid>();
        for (var i = 0; i < cases; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(intake, "/api/complaints"))
            {
                Content = new StringContent(
                    "{\"category\":\"discourtesy\",\"narrative\":\"Fuzz setup complaint " + i + ": the desk officer mocked me.\",\"channel\":\"phone\","
                    + "\"district\":\"" + (i % 5 + 1) + "\",\"complainant\":{\"anonymous\":true}}",
                    Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Clerk);
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Created)
                throw new InvalidOperationException($"fuzz setup: filing answered {(int)response.StatusCode}: {text}");
            filed.Add(JsonDocument.Parse(text).RootElement.GetProperty("caseId").GetGuid());
        }

        var reader = Token(PersonWith(Roles.Dispatcher), Roles.Dispatcher);
        var ready = new List<FuzzCase>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        foreach (var caseId in filed)
        {
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(assignment, $"/api/cases/{caseId}"));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", reader);
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var view = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                    var owner = view.GetProperty("owner");
                    if (owner.GetProperty("kind").GetString() == "person")
                    {
                        // The owner, with every role: only the defect in the request may stop it.
                        ready.Add(new FuzzCase(caseId, Token(owner.GetProperty("id").GetString()!,
                            Roles.Investigator, Roles.Supervisor, Roles.Commander, Roles.Admin)));
                        break;
                    }
                }
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"fuzz setup: case {caseId} was not routed to a person within 90 s");
                await Task.Delay(200);
            }
        }

        var handoffs = new List<Guid>();
        foreach (var unit in new[] { "u-professional-standards", "u-internal-affairs", "u-patrol-1", "u-patrol-2" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(assignment, $"/api/cases/{ready[0].CaseId}/handoffs"))
            {
                Content = new StringContent($$"""{"toUnitId":"{{unit}}","reason":"Fuzz setup: a pending handoff to aim at"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ready[0].OwnerToken);
            using var response = await http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                handoffs.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("handoffId").GetGuid());
                break;
            }
        }
        return new FuzzContext(open311ApiKey, ready, handoffs, tokens);
    }
}
