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
[Collection(nameof(IntakeWithAssignment))]
public sealed class ReadComplaintTests(IntakeWithAssignment system)
{
    /// <summary>
    /// A force complaint naming p-1031 (badge 1569, patrol-2): internal affairs gets it. Need-to-know is assignment's rule,
    /// which intake asks with the caller's own token.
    /// </summary>
    private async Task<(Guid CaseId, string Owner, string Marker, string Email, string TrackingCode)> FiledAndRoutedAsync()
    {
        var marker = IntakeService.NewMarker();
        var email = $"{marker}@example.org";
        var complaint = IntakeService.ClerkComplaint(marker, email);
        complaint["subjectOfficers"] = new[] { "1569" };
        complaint["allegations"] = new[] { new { type = "force", officerBadge = "1569" } };
        var filed = await system.FiledAsClerkAsync(complaint);
        var caseId = filed.GetProperty("caseId").GetGuid();
        var owner = await RoutedAsync(caseId);
        return (caseId, owner!, marker, email, filed.GetProperty("trackingCode").GetString()!);
    }

    /// <summary>Waits until assignment has routed the case, and returns its owner.</summary>
    private async Task<string> RoutedAsync(Guid caseId) => (await Eventually.ReturnsAsync(async () =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/cases/{caseId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For("p-1004", Roles.Auditor));
        using var response = await system.Assignment.Client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            return null;
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("owner").GetProperty("id").GetString();
        return id == "u-intake-desk" ? null : id;
    }, id => id is not null, $"case {caseId} is routed"))!;

    private static string SupervisorOf(string personId) =>
        JsonDocument.Parse(File.ReadAllText(RepositoryPaths.File("deploy", "org", "directory.json"))).RootElement.GetProperty("people").EnumerateArray()
            .Single(p => p.GetProperty("id").GetString() == personId).GetProperty("supervisorId").GetString()!;

    [Fact]
    public async Task The_owner_their_supervisor_and_internal_affairs_command_get_the_complaint_with_the_unsealed_contact_and_never_the_tracking_code()
    {
        var (caseId, owner, marker, email, trackingCode) = await FiledAndRoutedAsync();

        foreach (var token in new[] { TestTokens.For(owner, Roles.Investigator), TestTokens.For(SupervisorOf(owner), Roles.Supervisor), TestTokens.For("p-1011", Roles.Commander) })
        {
            var (body, raw) = await ReadAsync(caseId, token);

            Assert.Equal(caseId, body.GetProperty("caseId").GetGuid());
            Assert.Equal(("force", "phone", "3"), (body.GetProperty("category").GetString(), body.GetProperty("channel").GetString(), body.GetProperty("district").GetString()));
            Assert.Contains(marker, body.GetProperty("narrative").GetString());
            Assert.Equal("12 River St", body.GetProperty("location").GetProperty("address").GetString());
            Assert.Equal(41.5, body.GetProperty("location").GetProperty("latitude").GetDouble());
            Assert.Equal(JsonValueKind.String, body.GetProperty("occurredAt").ValueKind);
            Assert.Equal(["1569"], body.GetProperty("subjectOfficerBadges").EnumerateArray().Select(b => b.GetString()!));
            var allegation = Assert.Single(body.GetProperty("allegations").EnumerateArray());
            Assert.NotEqual(Guid.Empty, allegation.GetProperty("allegationId").GetGuid());
            Assert.Equal(("force", "1569"), (allegation.GetProperty("type").GetString(), allegation.GetProperty("officerBadge").GetString()));
            Assert.False(body.GetProperty("anonymous").GetBoolean());
            Assert.Equal(IntakeService.ClerkId, body.GetProperty("filedBy").GetString());

            Assert.True(body.GetProperty("contactVisible").GetBoolean());
            var contact = body.GetProperty("complainant");
            Assert.Equal(("Dana Whitfield", email, "+15555550123"),
                (contact.GetProperty("name").GetString(), contact.GetProperty("email").GetString(), contact.GetProperty("phone").GetString()));

            Assert.False(body.TryGetProperty("trackingCode", out _));
            Assert.DoesNotContain(trackingCode, raw);
        }
    }

    [Fact]
    public async Task The_subject_officer_his_chain_of_command_and_a_stranger_get_404_and_never_the_complainant()
    {
        // Issue 12, finding 1: the accused officer read the complainant's name, e-mail and phone.
        var (caseId, owner, marker, _, _) = await FiledAndRoutedAsync();
        var stranger = new[] { "p-1014", "p-1015", "p-1016" }.First(p => p != owner);

        foreach (var token in new[]
                 {
                     TestTokens.For("p-1031", Roles.Investigator), TestTokens.For("p-1030", Roles.Supervisor), TestTokens.For("p-1029", Roles.Commander),
                     TestTokens.For(stranger, Roles.Investigator),
                 })
        {
            using var response = await SendAsync(caseId, token);
            var raw = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain("Whitfield", raw);
            Assert.DoesNotContain(marker, raw);
        }
    }

    [Fact]
    public async Task An_auditor_gets_the_complaint_without_the_contact_and_a_dispatcher_or_an_admin_gets_none_of_it()
    {
        var (caseId, _, marker, _, _) = await FiledAndRoutedAsync();

        var (body, raw) = await ReadAsync(caseId, TestTokens.For("p-1004", Roles.Auditor));
        Assert.Contains(marker, body.GetProperty("narrative").GetString());
        Assert.False(body.GetProperty("contactVisible").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("complainant").ValueKind);
        Assert.DoesNotContain("Whitfield", raw);
        Assert.DoesNotContain("5555550123", raw);

        // Dispatchers and admins see the board (number, category, owner, deadlines), never the narrative or the contact.
        foreach (var token in new[] { TestTokens.For("p-1009", Roles.Dispatcher), TestTokens.For("p-1005", Roles.Admin) })
        {
            using var response = await SendAsync(caseId, token);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.DoesNotContain(marker, text);
            Assert.DoesNotContain("Whitfield", text);
        }
    }

    [Fact]
    public async Task An_anonymous_complaint_has_no_contact_even_for_a_role_that_may_see_contacts()
    {
        using var response = await system.Intake.Client.PostAsJsonAsync("/api/public/complaints", new
        {
            category = "discourtesy",
            narrative = $"The officer at the front desk laughed at me. {IntakeService.NewMarker()}",
            complainant = new { anonymous = true },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var caseId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("caseId").GetGuid();
        await RoutedAsync(caseId);

        var (body, _) = await ReadAsync(caseId, TestTokens.For("p-1004", Roles.Auditor));

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
        var caseId = (await system.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()))).GetProperty("caseId").GetGuid();
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
        var caseId = (await system.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()))).GetProperty("caseId").GetGuid();

        using var noRole = await SendAsync(caseId, TestTokens.For("member-of-the-public"));
        using var unknownRole = await SendAsync(caseId, TestTokens.For("member-of-the-public", "complainant"));
        // The public side has a status page by tracking code, and nothing by case id.
        using var publicPath = await system.Intake.Client.GetAsync($"/api/public/complaints/{caseId}");

        Assert.Equal(HttpStatusCode.Forbidden, noRole.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unknownRole.StatusCode);
        Assert.True(publicPath.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{(int)publicPath.StatusCode}");
        foreach (var response in new[] { noRole, unknownRole, publicPath })
            Assert.DoesNotContain("Whitfield", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_access_log_names_reads_that_revealed_the_contact_apart_from_those_that_did_not_and_records_every_refusal()
    {
        var (caseId, owner, _, _, _) = await FiledAndRoutedAsync();

        await ReadAsync(caseId, TestTokens.For(owner, Roles.Investigator));
        await ReadAsync(caseId, TestTokens.For("p-1004", Roles.Auditor));
        using (var refused = await SendAsync(caseId, null))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var subject = await SendAsync(caseId, TestTokens.For("p-1031", Roles.Investigator)))
            Assert.Equal(HttpStatusCode.NotFound, subject.StatusCode);

        var records = await Eventually.ReturnsAsync(() => AccessRecordsAsync(caseId), r => r.Count == 4, "four reads are recorded");
        JsonElement Of(string userId) => records.Single(r => r.GetProperty("userId").GetString() == userId);
        Assert.Equal(("complaint-contact-read", "granted"), (Of(owner).GetProperty("eventType").GetString(), Of(owner).GetProperty("outcome").GetString()));
        Assert.Equal(("complaint-read", "granted"), (Of("p-1004").GetProperty("eventType").GetString(), Of("p-1004").GetProperty("outcome").GetString()));
        Assert.Equal("denied", Of("anonymous").GetProperty("outcome").GetString());
        // The subject was answered 404, as if there were no such complaint; the log knows it was a refusal.
        Assert.Equal(("denied", 404), (Of("p-1031").GetProperty("outcome").GetString(), Of("p-1031").GetProperty("statusCode").GetInt32()));
        Assert.All(records, r => Assert.Equal("intake", r.GetProperty("component").GetString()));
    }

    private async Task<HttpResponseMessage> SendAsync(Guid caseId, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/complaints/{caseId}");
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await system.Intake.Client.SendAsync(request);
    }

    private async Task<(JsonElement Body, string Raw)> ReadAsync(Guid caseId, string token)
    {
        using var response = await SendAsync(caseId, token);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, raw);
        return (JsonDocument.Parse(raw).RootElement.Clone(), raw);
    }

    private async Task<List<JsonElement>> AccessRecordsAsync(Guid caseId)
    {
        await using var connection = await system.OpenIntakeSchemaAsync();
        var bodies = await connection.QueryAsync<string>(
            "select body::text from outbox where message_type like 'Accountability.Contracts.Audit.CaseDataAccessed,%' and body->>'caseId' = @caseId",
            new { caseId = caseId.ToString() });
        return bodies.Select(b => JsonDocument.Parse(b).RootElement.Clone()).ToList();
    }
}
