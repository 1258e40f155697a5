using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Intake.Tests;

/// <summary>GET /api/complaints?trackingCode= | ?complainantName=: staff find a case by what only intake knows, by need-to-know.</summary>
[Collection(nameof(IntakeWithAssignment))]
public sealed class SearchComplaintTests(IntakeWithAssignment system)
{
    /// <summary>A complaint about p-1031 (badge 1569; her sergeant is p-1030) by a complainant with a name of this test's own.</summary>
    private async Task<(Guid CaseId, string Owner, string TrackingCode, string Name)> FiledAndRoutedAsync()
    {
        var marker = IntakeService.NewMarker();
        var complaint = IntakeService.ClerkComplaint(marker, $"{marker}@example.org");
        complaint["subjectOfficers"] = new[] { "1569" };
        complaint["allegations"] = new[] { new { type = "force", officerBadge = "1569" } };
        var name = $"José {marker} O'Brien";
        complaint["complainant"] = new { name, email = $"{marker}@example.org" };
        var filed = await system.FiledAsClerkAsync(complaint);
        var caseId = filed.GetProperty("caseId").GetGuid();
        var owner = (await Eventually.ReturnsAsync(async () =>
        {
            using var response = await SendAsync(system.Assignment.Client, $"/api/cases/{caseId}", TestTokens.For("p-1004", Roles.Auditor));
            if (!response.IsSuccessStatusCode)
                return null;
            var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("owner").GetProperty("id").GetString();
            return id == "u-intake-desk" ? null : id;
        }, id => id is not null, $"case {caseId} is routed"))!;
        return (caseId, owner, filed.GetProperty("trackingCode").GetString()!, name);
    }

    [Fact]
    public async Task The_owner_finds_the_case_by_the_tracking_code_as_read_out_and_by_the_complainants_name_in_any_order_case_or_accents()
    {
        var (caseId, owner, code, name) = await FiledAndRoutedAsync();
        var token = TestTokens.For(owner, Roles.Investigator);
        var marker = name.Split(' ')[1];

        var byCode = await FoundAsync($"trackingCode={Uri.EscapeDataString(code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal))}", token);
        var byName = await FoundAsync($"complainantName={Uri.EscapeDataString($"obrien, JOSE {marker.ToUpperInvariant()}")}", token);

        Assert.Equal([caseId], byCode.Select(f => f.GetProperty("caseId").GetGuid()));
        Assert.Equal([caseId], byName.Select(f => f.GetProperty("caseId").GetGuid()));
        Assert.StartsWith("IA-", byName[0].GetProperty("caseNumber").GetString());
        // A part of the name is not the name: the index matches whole names only.
        Assert.Empty(await FoundAsync($"complainantName=jose", token));
    }

    [Fact]
    public async Task The_subject_officer_and_her_sergeant_get_nothing_by_tracking_code_or_name_as_if_there_were_no_such_case()
    {
        var (_, _, code, name) = await FiledAndRoutedAsync();

        foreach (var (person, role) in new[] { ("p-1031", Roles.Investigator), ("p-1030", Roles.Supervisor) })
        {
            var token = TestTokens.For(person, role);
            Assert.Empty(await FoundAsync($"trackingCode={code}", token));
            Assert.Empty(await FoundAsync($"complainantName={Uri.EscapeDataString(name)}", token));
        }
    }

    [Fact]
    public async Task A_dispatcher_finds_a_case_by_its_tracking_code_but_may_not_search_by_name_nor_may_an_auditor()
    {
        var (caseId, _, code, name) = await FiledAndRoutedAsync();

        Assert.Equal([caseId], (await FoundAsync($"trackingCode={code}", TestTokens.For("p-1009", Roles.Dispatcher))).Select(f => f.GetProperty("caseId").GetGuid()));
        foreach (var token in new[] { TestTokens.For("p-1009", Roles.Dispatcher), TestTokens.For("p-1004", Roles.Auditor) })
        {
            using var response = await SendAsync(system.Intake.Client, $"/api/complaints?complainantName={Uri.EscapeDataString(name)}", token);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.DoesNotContain(caseId.ToString(), await response.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [InlineData("", "trackingCode")]
    [InlineData("trackingCode=RPD-7K3M-Q9XD-2HRB-VN4T&complainantName=Pat%20Rivera", "trackingCode")]
    [InlineData("trackingCode=RPD-7K3M", "trackingCode")]
    [InlineData("complainantName=%21%21%20--", "complainantName")]
    [InlineData("complainantName=Pat%0ARivera", "complainantName")]
    public async Task A_search_that_cannot_match_anything_gets_a_field_level_400(string query, string field)
    {
        using var response = await SendAsync(system.Intake.Client, $"/api/complaints?{query}", TestTokens.For("p-1014", Roles.Investigator));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
    }

    private async Task<List<JsonElement>> FoundAsync(string query, string token)
    {
        using var response = await SendAsync(system.Intake.Client, $"/api/complaints?{query}", token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return [.. JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }
}
