using Accountability.TestSupport;
using System.Net;
using System.Text.Json;
using Accountability.EndToEnd.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Xunit;

namespace Accountability.EndToEnd.Tests;

[Collection(nameof(AccountabilitySystem))]
public sealed class Open311Tests(AccountabilitySystem system)
{
    [Fact]
    public async Task An_Open311_request_posted_form_encoded_is_closed_once_its_case_is_resolved_through_assignment()
    {
        var narrative = $"Nobody came after my call about a break-in ({Guid.NewGuid():N}).";
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["api_key"] = system.Open311ApiKey,
            ["service_code"] = "lack-of-service",
            ["address_string"] = "5 Elm St",
            ["description"] = narrative,
            ["attribute[district]"] = "4",
            ["email"] = $"sam-{Guid.NewGuid():N}@complainant.example",
            ["first_name"] = "Sam",
        });
        var posted = (await system.Intake.SendAsync(HttpMethod.Post, "/open311/v2/requests.json", content: form)).Ok();
        var requestId = Assert.Single(posted.EnumerateArray()).GetProperty("service_request_id").GetString()!;
        var caseId = Guid.Parse(requestId);
        var requestPath = $"/open311/v2/requests/{requestId}.json?api_key={Uri.EscapeDataString(system.Open311ApiKey)}";

        var open = Assert.Single((await system.Intake.GetAsync(requestPath)).Ok().EnumerateArray());
        Assert.Equal("open", open.GetProperty("status").GetString());
        Assert.Equal(narrative, open.GetProperty("description").GetString());

        // Assignment routes it to a person; that owner records a finding on its one allegation (against an officer
        // the caller could not identify) and resolves it.
        var dispatcher = AccountabilitySystem.Token("p-1009", Roles.Dispatcher);
        var routed = await system.Assignment.GetUntilAsync($"/api/cases/{caseId}", dispatcher,
            c => c.GetProperty("owner").GetProperty("kind").GetString() == "person", "the Open311 case is routed to a person");
        var directory = await system.DirectoryAsync();
        var owner = directory.Person(routed.GetProperty("owner").GetProperty("id").GetString()!);
        var unit = directory.Unit(routed.GetProperty("unitId").GetString()!);
        var allegation = Assert.Single((await system.Assignment.GetAsync($"/api/cases/{caseId}", AccountabilitySystem.Token(owner))).Ok()
            .GetProperty("allegations").EnumerateArray());
        Assert.Equal("", allegation.GetProperty("officerBadge").GetString());
        (await system.Assignment.PostAsync($"/api/cases/{caseId}/findings", AccountabilitySystem.Token(owner),
            new { allegationId = allegation.GetProperty("id").GetString(), finding = "sustained" })).Ok();
        (await system.Assignment.PostAsync($"/api/cases/{caseId}/resolve", AccountabilitySystem.Token(owner),
            new { reason = "Patrol log shows the call was dropped; the dispatcher was retrained." })).Ok();

        var closed = await system.Intake.GetUntilAsync(requestPath, null,
            r => r.EnumerateArray().Single().GetProperty("status").GetString() == "closed", "the Open311 request reads closed");
        var request = closed.EnumerateArray().Single();
        Assert.Equal(requestId, request.GetProperty("service_request_id").GetString());
        Assert.Equal("lack-of-service", request.GetProperty("service_code").GetString());

        // The list view agrees, and without a key it hides what could identify the complainant.
        var listed = (await system.Intake.GetAsync($"/open311/v2/requests.json?service_request_id={requestId}")).Ok();
        var anonymousView = Assert.Single(listed.EnumerateArray());
        Assert.Equal("closed", anonymousView.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, anonymousView.GetProperty("description").ValueKind);

        // An unknown request id is a 404 in the spec's error form.
        var missing = await system.Intake.GetAsync($"/open311/v2/requests/{Guid.NewGuid()}.json");
        missing.Expect(HttpStatusCode.NotFound);
        Assert.Equal(404, Assert.Single(missing.Json.EnumerateArray()).GetProperty("code").GetInt32());

        // Last, because it reads intake's copy of the directory, which other test runs share: the agency is the unit that had it.
        Assert.Equal(unit.Name, request.GetProperty("agency_responsible").GetString());
    }
}
