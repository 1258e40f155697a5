using System.Net;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>POST /api/cases/{id}/resolve: the note goes with the case, for those who work it (issue 12).</summary>
[Collection(nameof(AssignmentService))]
public sealed class CaseResolutionTests(AssignmentService service)
{
    [Fact]
    public async Task The_resolution_note_is_part_of_the_full_case_view_never_the_boards_and_a_reopen_clears_it()
    {
        var (caseId, owner) = await service.RoutedCaseAsync();
        var token = TestTokens.For(owner, Roles.Investigator);
        var allegationId = (await service.ReadCaseAsync(caseId, token)).GetProperty("allegations")[0].GetProperty("id").GetString();
        using (var finding = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/findings", token, new { allegationId, finding = "sustained" }))
            Assert.Equal(HttpStatusCode.OK, finding.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await service.ReadCaseAsync(caseId, token)).GetProperty("resolution").ValueKind);

        const string note = "Body-camera footage reviewed; the officer was retrained.\nLetter sent to the complainant.";
        using (var resolve = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/resolve", token, new { reason = note }))
            Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);

        foreach (var reader in new[] { token, TestTokens.For("p-1004", Roles.Auditor) })
        {
            var resolution = (await service.ReadCaseAsync(caseId, reader)).GetProperty("resolution");
            Assert.Equal(note, resolution.GetProperty("note").GetString());
            Assert.Equal(owner, resolution.GetProperty("resolvedBy").GetString());
            Assert.True(DateTimeOffset.UtcNow - resolution.GetProperty("resolvedAt").GetDateTimeOffset() < TimeSpan.FromMinutes(5));
        }
        var board = await service.ReadCaseAsync(caseId, TestTokens.For("p-1009", Roles.Dispatcher));
        Assert.Equal(JsonValueKind.Null, board.GetProperty("resolution").ValueKind);
        Assert.DoesNotContain("Body-camera", board.ToString());

        using (var reopen = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reopen", token, new { reason = "New witness came forward" }))
            Assert.Equal(HttpStatusCode.OK, reopen.StatusCode);
        var reopened = await service.ReadCaseAsync(caseId, token);
        Assert.Equal("open", reopened.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, reopened.GetProperty("resolution").ValueKind);
    }

    [Theory]
    [InlineData("p-1004")] // auditor
    [InlineData("p-1009")] // dispatcher
    [InlineData("p-1007")] // intake clerk
    [InlineData("p-1005")] // admin
    public async Task A_handoff_or_reassignment_to_someone_whose_role_cannot_investigate_is_refused_with_422_naming_the_field(string receiver)
    {
        var (caseId, owner) = await service.RoutedCaseAsync();

        using var handoff = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/handoffs", TestTokens.For(owner, Roles.Investigator),
            new { toPersonId = receiver, reason = "Workload" });
        using var reassign = await service.SendAsync(HttpMethod.Post, $"/api/cases/{caseId}/reassign", TestTokens.For("p-1011", Roles.Commander),
            new { toPersonId = receiver, reason = "Internal affairs takes it back" });

        foreach (var response in new[] { handoff, reassign })
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal("role-cannot-investigate", problem.GetProperty("code").GetString());
            Assert.Contains("investigator, supervisor or commander", problem.GetProperty("errors").GetProperty("toPersonId")[0].GetString());
        }
        var after = await service.ReadCaseAsync(caseId, TestTokens.For(owner, Roles.Investigator));
        Assert.Equal(owner, after.GetProperty("owner").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("pendingHandoff").ValueKind);
    }
}
