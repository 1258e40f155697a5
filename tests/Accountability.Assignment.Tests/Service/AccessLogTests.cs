using System.Net;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>Reads of case data, granted or refused, leave a CJIS-style record on their way to the audit service.</summary>
[Collection(nameof(AssignmentService))]
public sealed class AccessLogTests(AssignmentService service)
{
    [Fact]
    public async Task An_investigators_read_of_a_case_is_recorded_with_who_what_when_and_the_outcome()
    {
        var complaint = await service.FileAsync("force", "3");
        await service.WaitForRoutingAsync(complaint.CaseId);

        using var read = await service.SendAsync(HttpMethod.Get, $"/api/cases/{complaint.CaseId}/custody", TestTokens.For("p-1011", Roles.Commander));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        var record = await Eventually.ReturnsAsync(() => AssignmentService.AccessRecordsAsync(complaint.CaseId),
            records => records.Any(r => r.GetProperty("userId").GetString() == "p-1011"), "the read is recorded");
        var mine = record.Single(r => r.GetProperty("userId").GetString() == "p-1011");
        Assert.Equal("custody-read", mine.GetProperty("eventType").GetString());
        Assert.Equal("granted", mine.GetProperty("outcome").GetString());
        Assert.Equal("assignment", mine.GetProperty("component").GetString());
        Assert.Equal($"/api/cases/{complaint.CaseId}/custody", mine.GetProperty("resource").GetString());
        Assert.Equal(32, mine.GetProperty("traceId").GetString()!.Length);
    }

    [Fact]
    public async Task A_refused_read_is_recorded_as_denied()
    {
        var complaint = await service.FileAsync("force", "3");
        await service.WaitForRoutingAsync(complaint.CaseId);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/cases/{complaint.CaseId}");
        using var refused = await service.Process.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var records = await Eventually.ReturnsAsync(() => AssignmentService.AccessRecordsAsync(complaint.CaseId),
            r => r.Any(x => x.GetProperty("outcome").GetString() == "denied"), "the refusal is recorded");
        Assert.Contains(records, r => r.GetProperty("userId").GetString() == "anonymous" && r.GetProperty("statusCode").GetInt32() == 401);
    }
}
