using System.Net;
using System.Text.Json;
using Accountability.Contracts.Escalation;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

[Collection(nameof(AssignmentService))]
public sealed class OverdueTests(AssignmentService service)
{
    [Fact]
    public async Task A_breached_acknowledge_clock_makes_the_case_overdue_until_the_owner_acknowledges()
    {
        var complaint = await service.FileAsync("force", "1");
        var owner = (await service.WaitForRoutingAsync(complaint.CaseId)).GetProperty("owner").GetProperty("id").GetString()!;

        await service.PublishAsync(Breach(complaint.CaseId, owner));

        await service.WaitForOwnerAsync(complaint.CaseId, c => c.GetProperty("overdue").GetBoolean(), "the case shows overdue");
        Assert.Contains(complaint.CaseId, await OverdueCaseIdsAsync());

        using var acknowledge = await service.SendAsync(HttpMethod.Post, $"/api/cases/{complaint.CaseId}/acknowledge", TestTokens.For(owner, Roles.Investigator));
        Assert.Equal(HttpStatusCode.OK, acknowledge.StatusCode);
        var after = await service.WaitForOwnerAsync(complaint.CaseId, c => !c.GetProperty("overdue").GetBoolean(), "acknowledging clears it");
        Assert.True(after.GetProperty("acknowledged").GetBoolean());
        Assert.DoesNotContain(complaint.CaseId, await OverdueCaseIdsAsync());
    }

    [Fact]
    public async Task A_breach_for_someone_who_no_longer_owns_the_case_is_ignored()
    {
        var complaint = await service.FileAsync("force", "1");
        await service.WaitForRoutingAsync(complaint.CaseId);

        await service.PublishAsync(Breach(complaint.CaseId, "p-1099"));
        var marker = await service.FileAsync("force", "1");
        await service.PublishAsync(Breach(marker.CaseId, (await service.WaitForRoutingAsync(marker.CaseId)).GetProperty("owner").GetProperty("id").GetString()!));
        await service.WaitForOwnerAsync(marker.CaseId, c => c.GetProperty("overdue").GetBoolean(), "a later breach is through");

        var stale = await service.WaitForOwnerAsync(complaint.CaseId, _ => true, "case readable");
        Assert.False(stale.GetProperty("overdue").GetBoolean());
    }

    private static SlaBreached Breach(Guid caseId, string ownerId) => new()
    {
        CaseId = caseId,
        CaseVersion = 1,
        Actor = "system:escalation",
        Reason = "Not acknowledged within the policy",
        OccurredAt = DateTimeOffset.UtcNow,
        Clock = SlaClocks.Acknowledge,
        Percent = 100,
        DueAt = DateTimeOffset.UtcNow.AddMinutes(-1),
        OwnerKind = "person",
        OwnerId = ownerId,
        PolicyVersion = 1,
        Late = false,
        Lateness = TimeSpan.Zero,
    };

    private async Task<List<Guid>> OverdueCaseIdsAsync()
    {
        using var response = await service.SendAsync(HttpMethod.Get, "/api/cases?overdue=true&status=open&limit=500", TestTokens.For("p-1009", Roles.Dispatcher));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Select(c => c.GetProperty("caseId").GetGuid()).ToList();
    }
}
