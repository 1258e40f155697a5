using Accountability.TestSupport;
using System.Net;
using System.Text.Json;
using Accountability.EndToEnd.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Xunit;

namespace Accountability.EndToEnd.Tests;

/// <summary>Reads of case data are themselves on the record: who, what, when, through which service, and the outcome.</summary>
[Collection(nameof(AccountabilitySystem))]
public sealed class AccessLogTests(AccountabilitySystem system)
{
    private static readonly string Auditor = AccountabilitySystem.Token("p-1004", Roles.Auditor);

    [Fact]
    public async Task An_investigators_read_of_a_case_and_their_refused_request_for_its_trail_are_both_seen_by_an_auditor()
    {
        var journey = await system.JourneyAsync();
        // The investigator routing chose first held the case, so may still read it (a past owner).
        var investigatorId = journey.RoutedTo.Id;
        var investigator = AccountabilitySystem.Token(investigatorId, Roles.Investigator);

        (await system.Assignment.GetAsync($"/api/cases/{journey.CaseId}", investigator)).Expect(HttpStatusCode.OK);
        (await system.Audit.GetAsync($"/api/audit/cases/{journey.CaseId}/trail", investigator)).Expect(HttpStatusCode.Forbidden);

        var log = await system.Audit.GetUntilAsync($"/api/audit/access-log?caseId={journey.CaseId}&userId={investigatorId}", Auditor,
            records => records.EnumerateArray().Any(r => Text(r, "component") == "assignment" && Text(r, "outcome") == "granted")
                       && records.EnumerateArray().Any(r => Text(r, "component") == "audit" && Text(r, "outcome") == "denied"),
            "the auditor sees the investigator's read and refusal");

        var read = log.EnumerateArray().First(r => Text(r, "component") == "assignment" && Text(r, "outcome") == "granted");
        Assert.Equal("case-read", Text(read, "eventType"));
        Assert.Equal(["investigator"], read.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray());
        Assert.Equal(200, read.GetProperty("statusCode").GetInt32());
        Assert.Equal(32, Text(read, "traceId")!.Length);
        var refusal = log.EnumerateArray().First(r => Text(r, "component") == "audit" && Text(r, "outcome") == "denied");
        Assert.Equal("trail-read", Text(refusal, "eventType"));
        Assert.Equal(403, refusal.GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task The_access_log_refuses_bad_filters_with_field_level_reasons()
    {
        var reply = await system.Audit.GetAsync("/api/audit/access-log?from=2026-03-04T00:00:00Z&to=2026-03-03T00:00:00Z&limit=0", Auditor);
        reply.Expect(HttpStatusCode.BadRequest);
        var errors = reply.Json.GetProperty("errors");
        Assert.True(errors.TryGetProperty("from", out _));
        Assert.True(errors.TryGetProperty("limit", out _));
        (await system.Audit.GetAsync("/api/audit/access-log", AccountabilitySystem.Token("p-1016", Roles.Investigator))).Expect(HttpStatusCode.Forbidden);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
