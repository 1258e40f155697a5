using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Accountability.TestSupport.Authorization;

/// <summary>The expected table: rules (an outcome per relationship), and a rule for each route.</summary>
public sealed record AuthorizationMatrix(IReadOnlyDictionary<string, IReadOnlyList<(string Relationship, string Outcome)>> Rules, IReadOnlyList<MatrixRoute> Routes)
{
    public static readonly string[] Outcomes = ["reached", "visible", "hidden", "forbidden", "unauthenticated", "allowed"];

    /// <summary>The table in the repository: tests/Accountability.Platform.Tests/authorization-matrix.txt.</summary>
    public static AuthorizationMatrix Load() => Load(RepositoryPaths.File("tests", "Accountability.Platform.Tests", "authorization-matrix.txt"));

    public static AuthorizationMatrix Load(string path)
    {
        var rules = new Dictionary<string, IReadOnlyList<(string, string)>>(StringComparer.Ordinal);
        var routes = new List<MatrixRoute>();
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0)
                continue;
            var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words[0] == "rule")
            {
                var outcomes = words.Skip(2).Select(w => w.Split('=')).Select(p => (p[0], p[1])).ToList();
                Assert.All(outcomes, o => Assert.Contains(o.Item2, Outcomes));
                Assert.All(outcomes, o => Assert.Contains(o.Item1, CaseWorld.Relationships));
                Assert.Equal(CaseWorld.Relationships.Order(), outcomes.Select(o => o.Item1).Order());
                rules[words[1]] = outcomes;
            }
            else
            {
                Assert.True(words.Length == 4 || (words.Length == 5 && words[4].StartsWith('?')),
                    $"A route line is: service method route rule [?query to ask it with]. Not: {raw}");
                routes.Add(new MatrixRoute(words[0], words[1], words[2], words[3], words.Length == 5 ? words[4] : null));
            }
        }
        Assert.All(routes, r => Assert.True(rules.ContainsKey(r.Rule), $"{r.Route}: no rule named {r.Rule}"));
        return new AuthorizationMatrix(rules, routes);
    }

    /// <summary>
    /// reached: past every access check (any answer but 401, 403, 404); visible: the case is not hidden (any but 401, 404);
    /// hidden: 404, as if the case did not exist; forbidden: 403; unauthenticated: 401; allowed: past sign-in and roles (any but 401, 403).
    /// </summary>
    public static bool Matches(string outcome, HttpStatusCode status) => outcome switch
    {
        "reached" => status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound),
        "visible" => status is not (HttpStatusCode.Unauthorized or HttpStatusCode.NotFound),
        "hidden" => status == HttpStatusCode.NotFound,
        "forbidden" => status == HttpStatusCode.Forbidden,
        "unauthenticated" => status == HttpStatusCode.Unauthorized,
        "allowed" => status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
        _ => false,
    };
}

/// <summary>A route and its rule; <see cref="Query"/>, when given, is what the route is asked with (a list filtered by this case).</summary>
public sealed record MatrixRoute(string Service, string Method, string Route, string Rule, string? Query = null);

/// <summary>
/// One case, and a person in every relationship to it, made through the real services: filed naming a patrol
/// officer as the subject, routed, handed from its first owner to a second (who accepted), and offered to a third.
/// </summary>
public sealed class CaseWorld
{
    public static readonly string[] Relationships =
    [
        "owner", "owner-chain", "past-owner", "receiver", "ia-command", "dispatcher", "auditor", "admin",
        "subject", "subject-chain", "colleague", "clerk", "public",
    ];

    private readonly Dictionary<string, string> people = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> rolesOf;

    private CaseWorld(Dictionary<string, string[]> rolesOf) => this.rolesOf = rolesOf;

    public Guid CaseId { get; private set; }
    public Guid HandoffId { get; private set; }
    public string TrackingCode { get; private set; } = "";

    public string? PersonOf(string relationship) => people.GetValueOrDefault(relationship);

    public string TokenOf(string personId) => TestTokens.For(personId, rolesOf[personId]);

    /// <param name="escalation">
    /// When given, the world is ready only once escalation has heard of every step: its case routes answer 404 for a case
    /// it has not heard of yet, and its statutory routes 403 to the chain of an owner it has not heard of, which on a
    /// loaded machine would read as access refused to someone who has it.
    /// </param>
    public static async Task<CaseWorld> BuildAsync(ServiceProcess intake, ServiceProcess assignment, ServiceProcess? escalation = null)
    {
        using var directory = JsonDocument.Parse(await File.ReadAllTextAsync(RepositoryPaths.File("deploy", "org", "directory.json")));
        var world = new CaseWorld(directory.RootElement.GetProperty("people").EnumerateArray()
            .ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray()));

        // The subject is a patrol-1 investigator (badge 1544); his sergeant is p-1027.
        var filed = await intake.PostAsync("/api/complaints", world.TokenOf("p-1007"), new
        {
            category = "force", district = "1", channel = "phone",
            narrative = $"Authorization matrix: pushed to the ground during a stop ({Guid.NewGuid():N}).",
            allegations = new[] { new { type = "force", officerBadge = "1544" } },
            complainant = new { name = "Morgan Matrix", email = "morgan.matrix@example.org" },
        });
        Assert.True(filed.Status == HttpStatusCode.Created, filed.ToString());
        world.CaseId = filed.Json.GetProperty("caseId").GetGuid();
        world.TrackingCode = filed.Json.GetProperty("trackingCode").GetString()!;

        var routed = (await assignment.GetUntilAsync($"/api/cases/{world.CaseId}", world.TokenOf("p-1009"),
            c => c.GetProperty("owner").GetProperty("kind").GetString() == "person", "the case is routed to a person"))
            .GetProperty("owner").GetProperty("id").GetString()!;

        // Internal-affairs command gives it to p-1018 (a plain investigator), who hands it to p-1019 (accepted),
        // who offers it to p-1020 (pending): past owner, owner (supervised by p-1013) and receiver.
        const string first = "p-1018", second = "p-1019", third = "p-1020";
        if (routed != first)
        {
            var reassigned = await assignment.PostAsync($"/api/cases/{world.CaseId}/reassign", world.TokenOf("p-1011"), new { toPersonId = first, reason = "Matrix: a known first owner" });
            Assert.True(reassigned.IsSuccess, reassigned.ToString());
        }
        var handoff = await assignment.PostAsync($"/api/cases/{world.CaseId}/handoffs", world.TokenOf(first), new { toPersonId = second, reason = "Matrix: moving to a colleague" });
        Assert.True(handoff.IsSuccess, handoff.ToString());
        var accepted = await assignment.PostAsync($"/api/handoffs/{handoff.Json.GetProperty("handoffId").GetGuid()}/accept", world.TokenOf(second));
        Assert.True(accepted.IsSuccess, accepted.ToString());
        var offer = await assignment.PostAsync($"/api/cases/{world.CaseId}/handoffs", world.TokenOf(second), new { toPersonId = third, reason = "Matrix: offered on" });
        Assert.True(offer.IsSuccess, offer.ToString());
        world.HandoffId = offer.Json.GetProperty("handoffId").GetGuid();

        var ownerSupervisor = directory.RootElement.GetProperty("people").EnumerateArray().Single(p => p.GetProperty("id").GetString() == second).GetProperty("supervisorId").GetString()!;
        world.people["owner"] = second;
        world.people["owner-chain"] = ownerSupervisor;
        world.people["past-owner"] = first;
        world.people["receiver"] = third;
        world.people["ia-command"] = "p-1011";
        world.people["dispatcher"] = "p-1009";
        world.people["auditor"] = "p-1004";
        world.people["admin"] = "p-1005";
        world.people["subject"] = "p-1028";
        world.people["subject-chain"] = "p-1027";
        world.people["colleague"] = "p-1023"; // professional standards: an investigator with nothing to do with this case
        world.people["clerk"] = "p-1008";
        // Escalation decides the statutory routes by the owner it has heard of: ready once it has the last step, the
        // owner's pending offer (its handoff clock runs for the owner), and so every step before it (one case's events in order).
        if (escalation is not null)
            await escalation.GetUntilAsync($"/api/cases/{world.CaseId}/clocks", world.TokenOf("p-1011"),
                clocks => clocks.EnumerateArray().Any(c => c.GetProperty("clock").GetString() == "handoff-accept"
                    && c.GetProperty("state").GetString() == "running" && c.GetProperty("ownerId").GetString() == second),
                "escalation has heard of the owner's pending offer");
        return world;
    }

    /// <summary>
    /// The route with its parameters filled for this case. A body, where one is sent, is a JSON array, which no
    /// route takes: whoever gets past the access checks is refused the body, so the table's run changes nothing.
    /// </summary>
    public async Task<HttpStatusCode> AskAsync(ServiceProcess service, string method, string route, string relationship) =>
        (await AskForReplyAsync(service, method, route, relationship)).Status;

    /// <summary>As <see cref="AskAsync"/>, with the whole answer, so that its body can be searched for the case; <paramref name="query"/> is appended.</summary>
    public async Task<Reply> AskForReplyAsync(ServiceProcess service, string method, string route, string relationship, string? query = null)
    {
        var person = PersonOf(relationship);
        var path = Fill(route + query, person);
        var content = method is "POST" or "PUT" ? new StringContent("[]", System.Text.Encoding.UTF8, "application/json") : null;
        return await service.SendAsync(new HttpMethod(method), path, person is null ? null : TokenOf(person), content);
    }

    public string Fill(string route, string? person) =>
        route.Replace("{caseId:guid}", CaseId.ToString(), StringComparison.Ordinal)
            .Replace("{caseId}", "not-a-case-id", StringComparison.Ordinal)
            .Replace("{**rest}", "trail", StringComparison.Ordinal)
            .Replace("{handoffId:guid}", HandoffId.ToString(), StringComparison.Ordinal)
            .Replace("{trackingCode}", TrackingCode, StringComparison.Ordinal)
            .Replace("{personId}", person ?? "p-1005", StringComparison.Ordinal)
            .Replace("{allegationId}", "a-unknown", StringComparison.Ordinal)
            .Replace("{id:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("{warningId:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("{badge}", "1544", StringComparison.Ordinal)
            .Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("{token}", "not-a-real-token", StringComparison.Ordinal)
            .Replace("{trail}", "audit", StringComparison.Ordinal)
            .Replace("{name}", "case-state", StringComparison.Ordinal)
            .Replace("{serviceCode}", "force", StringComparison.Ordinal)
            .Replace("{format}", "json", StringComparison.Ordinal)
            .Replace(".{format}", ".json", StringComparison.Ordinal);
}
