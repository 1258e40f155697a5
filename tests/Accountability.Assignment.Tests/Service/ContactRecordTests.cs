using System.Net;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>POST /api/cases/{id}/contacts: how the complainant was reached (from a fixed list) and what was said.</summary>
[Collection(nameof(AssignmentService))]
public sealed class ContactRecordTests(AssignmentService service)
{
    [Theory]
    [InlineData("{}", "method")]
    [InlineData("""{"note":"Spoke to her at length."}""", "method")]
    [InlineData("""{"method":"Phone"}""", "method")]
    [InlineData("""{"method":"carrier-pigeon"}""", "method")]
    [InlineData("""{"method":"phone","note":"bell\u0007"}""", "note")]
    public async Task A_contact_without_a_method_from_the_list_or_with_a_bad_note_gets_a_field_level_400_and_changes_nothing(string body, string field)
    {
        var (caseId, owner) = await RoutedAsync();

        using var response = await PostAsync(caseId, owner, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
        Assert.False((await ReadAsync(caseId, TestTokens.For(owner, Roles.Investigator))).GetProperty("contacted").GetBoolean());
    }

    [Fact]
    public async Task A_note_over_2000_characters_is_refused_with_the_limit()
    {
        var (caseId, owner) = await RoutedAsync();

        using var response = await PostAsync(caseId, owner, JsonSerializer.Serialize(new { method = "letter", note = new string('n', 2001) }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("At most 2000 characters.", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Each_contact_is_kept_with_its_method_and_note_for_those_who_work_the_case_but_not_on_the_board()
    {
        var (caseId, owner) = await RoutedAsync();

        using (var first = await PostAsync(caseId, owner, """{"method":"phone","note":"She will send the photos by Friday.\nCall back Monday."}"""))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var second = await PostAsync(caseId, owner, """{"method":"in-person"}"""))
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        var view = await ReadAsync(caseId, TestTokens.For(owner, Roles.Investigator));
        Assert.True(view.GetProperty("contacted").GetBoolean());
        var contacts = view.GetProperty("contacts").EnumerateArray().ToList();
        Assert.Equal(["phone", "in-person"], contacts.Select(c => c.GetProperty("method").GetString()));
        Assert.Equal("She will send the photos by Friday.\nCall back Monday.", contacts[0].GetProperty("note").GetString());
        Assert.Equal(JsonValueKind.Null, contacts[1].GetProperty("note").ValueKind);
        Assert.All(contacts, c => Assert.Equal(owner, c.GetProperty("actor").GetString()));

        // What was said to the complainant is not the board's.
        var board = await ReadAsync(caseId, TestTokens.For("p-1009", Roles.Dispatcher));
        Assert.Equal(JsonValueKind.Null, board.GetProperty("contacts").ValueKind);
        Assert.DoesNotContain("photos", board.ToString());
    }

    private async Task<(Guid CaseId, string Owner)> RoutedAsync()
    {
        var complaint = await service.FileAsync("discourtesy", "3");
        var routed = await service.WaitForRoutingAsync(complaint.CaseId);
        return (complaint.CaseId, routed.GetProperty("owner").GetProperty("id").GetString()!);
    }

    private async Task<HttpResponseMessage> PostAsync(Guid caseId, string owner, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/cases/{caseId}/contacts")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.For(owner, Roles.Investigator));
        return await service.Process.Client.SendAsync(request);
    }

    private async Task<JsonElement> ReadAsync(Guid caseId, string token)
    {
        using var response = await service.SendAsync(HttpMethod.Get, $"/api/cases/{caseId}", token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
