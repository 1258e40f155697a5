using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Intake.Tests;

/// <summary>GET /api/complaints/{caseId}: the complaint as filed for staff; the contact only for those who may see personal data.</summary>
[Collection(nameof(IntakeService))]
public sealed class ReadComplaintTests(IntakeService intake)
{
    [Theory]
    [InlineData(Roles.IntakeClerk)]
    [InlineData(Roles.Investigator)]
    [InlineData(Roles.Supervisor)]
    [InlineData(Roles.Commander)]
    public async Task A_role_that_may_see_contacts_gets_the_complaint_with_the_unsealed_contact_and_never_the_tracking_code(string role)
    {
        var marker = IntakeService.NewMarker();
        var email = $"{marker}@example.org";
        var filed = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(marker, email));
        var caseId = filed.GetProperty("caseId").GetGuid();

        var (body, raw) = await ReadAsync(caseId, TestTokens.For("p-1012", role));

        Assert.Equal(caseId, body.GetProperty("caseId").GetGuid());
        Assert.Equal(("force", "phone", "3"), (body.GetProperty("category").GetString(), body.GetProperty("channel").GetString(), body.GetProperty("district").GetString()));
        Assert.Contains(marker, body.GetProperty("narrative").GetString());
        Assert.Equal("12 River St", body.GetProperty("location").GetProperty("address").GetString());
        Assert.Equal(41.5, body.GetProperty("location").GetProperty("latitude").GetDouble());
        Assert.Equal(JsonValueKind.String, body.GetProperty("occurredAt").ValueKind);
        Assert.Equal(["614", "C-2041"], body.GetProperty("subjectOfficerBadges").EnumerateArray().Select(b => b.GetString()!));
        Assert.Equal(2, body.GetProperty("allegations").GetArrayLength());
        Assert.All(body.GetProperty("allegations").EnumerateArray(), a =>
        {
            Assert.NotEqual(Guid.Empty, a.GetProperty("allegationId").GetGuid());
            Assert.False(string.IsNullOrEmpty(a.GetProperty("type").GetString()));
            Assert.False(string.IsNullOrEmpty(a.GetProperty("officerBadge").GetString()));
        });
        Assert.False(body.GetProperty("anonymous").GetBoolean());
        Assert.Equal(JsonValueKind.String, body.GetProperty("receivedAt").ValueKind);
        Assert.Equal(IntakeService.ClerkId, body.GetProperty("filedBy").GetString());

        Assert.True(body.GetProperty("contactVisible").GetBoolean());
        var contact = body.GetProperty("complainant");
        Assert.Equal(("Dana Whitfield", email, "+15555550123"),
            (contact.GetProperty("name").GetString(), contact.GetProperty("email").GetString(), contact.GetProperty("phone").GetString()));

        Assert.False(body.TryGetProperty("trackingCode", out _));
        Assert.DoesNotContain(filed.GetProperty("trackingCode").GetString()!, raw);
    }

    [Theory]
    [InlineData(Roles.Dispatcher)]
    [InlineData(Roles.Auditor)]
    [InlineData(Roles.Admin)]
    public async Task A_dispatcher_an_auditor_or_an_admin_gets_the_complaint_without_the_contact(string role)
    {
        var marker = IntakeService.NewMarker();
        var filed = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(marker, $"{marker}@example.org"));
        var caseId = filed.GetProperty("caseId").GetGuid();

        var (body, raw) = await ReadAsync(caseId, TestTokens.For("p-1006", role));

        Assert.Contains(marker, body.GetProperty("narrative").GetString()); // the complaint itself is theirs to read
        Assert.False(body.GetProperty("anonymous").GetBoolean());
        Assert.False(body.GetProperty("contactVisible").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("complainant").ValueKind);
        Assert.DoesNotContain("Whitfield", raw);
        Assert.DoesNotContain($"{marker}@", raw);
        Assert.DoesNotContain("5555550123", raw);
    }

    [Fact]
    public async Task An_anonymous_complaint_has_no_contact_even_for_a_role_that_may_see_contacts()
    {
        using var response = await intake.Client.PostAsJsonAsync("/api/public/complaints", new
        {
            category = "discourtesy",
            narrative = $"The officer at the front desk laughed at me. {IntakeService.NewMarker()}",
            complainant = new { anonymous = true },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var caseId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("caseId").GetGuid();

        var (body, _) = await ReadAsync(caseId, TestTokens.For("p-1012", Roles.Investigator));

        Assert.True(body.GetProperty("anonymous").GetBoolean());
        Assert.False(body.GetProperty("contactVisible").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("complainant").ValueKind);
        Assert.Equal(("web", "system:public-web"), (body.GetProperty("channel").GetString(), body.GetProperty("filedBy").GetString()));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("district").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("location").ValueKind);
    }

    [Fact]
    public async Task An_unknown_case_gets_404_problem_json()
    {
        using var response = await SendAsync(Guid.NewGuid(), TestTokens.For("p-1012", Roles.Investigator));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_caller_without_a_valid_token_gets_401()
    {
        var caseId = (await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()))).GetProperty("caseId").GetGuid();
        foreach (var token in new[] { null, TestTokens.Expired("p-1012", Roles.Investigator), TestTokens.ForeignlySigned("p-1012", Roles.Investigator) })
        {
            using var response = await SendAsync(caseId, token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.DoesNotContain("Whitfield", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_public_caller_cannot_read_a_complaint_even_with_a_token_that_holds_no_staff_role()
    {
        var caseId = (await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()))).GetProperty("caseId").GetGuid();

        using var noRole = await SendAsync(caseId, TestTokens.For("member-of-the-public"));
        using var unknownRole = await SendAsync(caseId, TestTokens.For("member-of-the-public", "complainant"));
        // The public side has a status page by tracking code, and nothing by case id.
        using var publicPath = await intake.Client.GetAsync($"/api/public/complaints/{caseId}");

        Assert.Equal(HttpStatusCode.Forbidden, noRole.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unknownRole.StatusCode);
        Assert.True(publicPath.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{(int)publicPath.StatusCode}");
        foreach (var response in new[] { noRole, unknownRole, publicPath })
            Assert.DoesNotContain("Whitfield", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_access_log_names_reads_that_revealed_the_contact_apart_from_those_that_did_not()
    {
        var caseId = (await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()))).GetProperty("caseId").GetGuid();

        await ReadAsync(caseId, TestTokens.For("p-1012", Roles.Investigator));
        await ReadAsync(caseId, TestTokens.For("p-1009", Roles.Dispatcher));
        using (var refused = await SendAsync(caseId, null))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var records = await Eventually.ReturnsAsync(() => AccessRecordsAsync(caseId), r => r.Count == 3, "three reads are recorded");
        string EventOf(string userId) => records.Single(r => r.GetProperty("userId").GetString() == userId).GetProperty("eventType").GetString()!;
        Assert.Equal("complaint-contact-read", EventOf("p-1012"));
        Assert.Equal("complaint-read", EventOf("p-1006"));
        Assert.Equal("complaint-read", EventOf("anonymous"));
        Assert.All(records, r => Assert.Equal("intake", r.GetProperty("component").GetString()));
        Assert.Equal(["denied", "granted", "granted"], records.Select(r => r.GetProperty("outcome").GetString()!).Order());
    }

    private async Task<HttpResponseMessage> SendAsync(Guid caseId, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/complaints/{caseId}");
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await intake.Client.SendAsync(request);
    }

    private async Task<(JsonElement Body, string Raw)> ReadAsync(Guid caseId, string token)
    {
        using var response = await SendAsync(caseId, token);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, raw);
        return (JsonDocument.Parse(raw).RootElement.Clone(), raw);
    }

    private static async Task<List<JsonElement>> AccessRecordsAsync(Guid caseId)
    {
        await using var connection = await TestDatabase.OpenAsync("intake");
        var bodies = await connection.QueryAsync<string>(
            "select body::text from outbox where message_type like 'Accountability.Contracts.Audit.CaseDataAccessed,%' and body->>'caseId' = @caseId",
            new { caseId = caseId.ToString() });
        return bodies.Select(b => JsonDocument.Parse(b).RootElement.Clone()).ToList();
    }
}
