using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>One complaint, one trace: the custody chain can be followed across the services' spans.</summary>
[Collection(nameof(FiveServices))]
public sealed class TraceTests(FiveServices services)
{
    [Fact]
    public async Task A_complaint_forms_one_connected_trace_from_filing_through_routing_escalation_and_notification()
    {
        var caseId = await services.FileComplaintAsync();
        var owner = await RoutedOwnerAsync(caseId);

        // Spans are exported when they end, and a parent ends after its children: wait for the whole trace.
        List<Span> trace = [];
        string diagnosis = "nothing read yet";
        try
        {
            await Eventually.HoldsAsync(() =>
            {
                var spans = services.ReadSpans();
                var caseTraces = spans.Where(s => s.CaseId == caseId).Select(s => s.TraceId).ToHashSet();
                var filing = spans.FirstOrDefault(s => s.Service == "Intake" && s.Kind == "Server" && s.Name == "POST /api/complaints" && caseTraces.Contains(s.TraceId));
                if (filing is null)
                {
                    diagnosis = "no intake POST /api/complaints span shares a trace with the case's spans";
                    return false;
                }
                trace = spans.Where(s => s.TraceId == filing.TraceId).ToList();
                var missing = new[] { "Intake", "Assignment", "Escalation", "Notification" }.Where(service => !trace.Any(s => s.Service == service && s.CaseId == caseId)).ToList();
                var ids = trace.Select(s => s.SpanId).ToHashSet();
                var orphans = trace.Where(s => s.ParentSpanId is not null && !ids.Contains(s.ParentSpanId) && s != filing).ToList();
                diagnosis = $"services without a case span in the filing's trace: [{string.Join(", ", missing)}]; spans whose parent is missing: [{string.Join(", ", orphans.Select(o => $"{o.Service}/{o.Name}"))}]";
                // Every service that touched the case did so inside the filing's trace, and the trace is connected:
                // every span but the root has its parent among the recorded spans.
                return missing.Count == 0 && orphans.Count == 0;
            }, "the filing's trace is complete and connected");
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{timeout.Message}: {diagnosis}", timeout);
        }

        var filingTraceId = trace[0].TraceId;

        // The routing step names the owner it produced.
        var routed = trace.Single(s => s.Service == "Assignment" && s.Step == "routed");
        Assert.Equal(owner.Kind, routed.OwnerKind);
        Assert.Equal(owner.Id, routed.OwnerId);

        // The audit trail's trace ids lead an auditor to these very spans.
        var auditor = TestTokens.For("p-1004", Roles.Auditor);
        var trail = await Eventually.ReturnsAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/audit/cases/{caseId}/trail");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", auditor);
            using var response = await services["Audit"].Client.SendAsync(request);
            return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
        }, t => t.ValueKind == JsonValueKind.Array
                && t.EnumerateArray().Any(step => step.GetProperty("type").GetString() == "ComplaintReceived")
                && t.EnumerateArray().Any(step => step.GetProperty("type").GetString() == "CaseRouted"), "the trail holds the receipt and the routing");
        var recordedTraces = services.ReadSpans().Select(s => s.TraceId).ToHashSet();
        foreach (var step in trail.EnumerateArray().Where(s => s.GetProperty("type").GetString() is "ComplaintReceived" or "CaseOpened" or "CaseRouted"))
            Assert.Equal(filingTraceId, step.GetProperty("traceId").GetString());
        Assert.All(trail.EnumerateArray().Select(s => s.GetProperty("traceId").GetString()).Where(id => id is not null),
            id => Assert.Contains(id!, recordedTraces));
    }

    [Fact]
    public async Task A_later_handoff_on_a_case_links_back_to_the_trace_in_which_it_was_received()
    {
        var caseId = await services.FileComplaintAsync();
        var owner = await RoutedOwnerAsync(caseId);
        var filingTrace = await Eventually.ReturnsAsync(() => Task.FromResult(services.ReadSpans()),
            all => all.Any(s => s.Service == "Assignment" && s.CaseId == caseId && s.Step == "routed"), "routing span recorded");
        var receiptTraceId = filingTrace.First(s => s.Service == "Assignment" && s.CaseId == caseId && s.Step == "routed").TraceId;

        var to = owner.Id == "p-1014" ? "p-1015" : "p-1014";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/cases/{caseId}/handoffs")
        {
            Content = JsonContent.Create(new { toPersonId = to, reason = "Workload" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(owner.Id, Roles.Investigator));
        using var response = await services["Assignment"].Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var spans = await Eventually.ReturnsAsync(() => Task.FromResult(services.ReadSpans()),
            all => all.Any(s => s.Service == "Assignment" && s.CaseId == caseId && s.Step == "handoff-requested"), "handoff span recorded");
        var handoff = spans.Single(s => s.Service == "Assignment" && s.CaseId == caseId && s.Step == "handoff-requested");
        Assert.NotEqual(receiptTraceId, handoff.TraceId);
        Assert.Contains(receiptTraceId, handoff.LinkedTraceIds);
    }

    private async Task<(string Kind, string Id)> RoutedOwnerAsync(Guid caseId)
    {
        var token = TestTokens.For("p-1009", Roles.Dispatcher);
        var routed = await Eventually.ReturnsAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/cases/{caseId}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await services["Assignment"].Client.SendAsync(request);
            return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
        }, c => c.ValueKind == JsonValueKind.Object && c.GetProperty("owner").GetProperty("id").GetString() != "u-intake-desk", "the case is routed");
        var owner = routed.GetProperty("owner");
        return (owner.GetProperty("kind").GetString()!, owner.GetProperty("id").GetString()!);
    }
}
