using Accountability.TestSupport;
using System.Text.Json;
using System.Text.RegularExpressions;
using Accountability.EndToEnd.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Xunit;
using Xunit.Abstractions;

namespace Accountability.EndToEnd.Tests;

[Collection(nameof(AccountabilitySystem))]
public sealed partial class AuditTrailTests(AccountabilitySystem system, ITestOutputHelper output)
{
    /// <summary>Every step of scenario 1, by event type, with how often it happens.</summary>
    private static readonly Dictionary<string, int> StepsOfTheJourney = new()
    {
        ["ComplaintReceived"] = 1,
        ["CaseOpened"] = 1,
        ["CaseRouted"] = 1,
        ["CustodyTransferred"] = 4, // received, routed, handoff, escalated
        ["HandoffRequested"] = 2,
        ["HandoffDeclined"] = 1,
        ["HandoffAccepted"] = 1,
        ["SlaBreached"] = 1,
        ["EscalationRaised"] = 1,
        ["FindingsRecorded"] = 2,
        ["CaseResolved"] = 1,
        ["SatisfactionRecorded"] = 1,
        ["CaseReopened"] = 1,
    };

    private static readonly string Auditor = AccountabilitySystem.Token("p-1004", Roles.Auditor);

    [Fact]
    public async Task The_state_replayed_from_the_trail_at_every_step_boundary_is_what_assignment_said_at_that_moment()
    {
        var journey = await system.JourneyAsync();
        Assert.Equal(["routed", "declined", "accepted", "escalated", "findings", "resolved", "reopened"], journey.Snapshots.Select(s => s.AfterStep));
        // Wait until the trail holds the last step, so that every earlier instant is fully recorded.
        var last = journey.Snapshots[^1];
        await system.Audit.GetUntilAsync($"/api/audit/cases/{journey.CaseId}/state", Auditor,
            state => state.GetProperty("status").GetString() == "open" && state.GetProperty("owner").GetProperty("id").GetString() == last.OwnerId
                     && state.GetProperty("lastEventAt").GetDateTimeOffset() >= last.At, "the trail has caught up with the reopening");

        foreach (var snapshot in journey.Snapshots)
        {
            var asOf = Uri.EscapeDataString(snapshot.At.ToString("O"));
            var replayed = (await system.Audit.GetAsync($"/api/audit/cases/{journey.CaseId}/state?asOf={asOf}", Auditor)).Ok();
            Assert.True(snapshot.Status == replayed.GetProperty("status").GetString(), $"status after {snapshot.AfterStep}");
            Assert.True(snapshot.OwnerKind == replayed.GetProperty("owner").GetProperty("kind").GetString(), $"owner kind after {snapshot.AfterStep}");
            Assert.True(snapshot.OwnerId == replayed.GetProperty("owner").GetProperty("id").GetString(), $"owner after {snapshot.AfterStep}");
            Assert.True(snapshot.PendingHandoff == (replayed.GetProperty("pendingHandoff").ValueKind != JsonValueKind.Null), $"pending handoff after {snapshot.AfterStep}");
        }
    }

    [Fact]
    public async Task An_auditor_replays_the_trail_of_the_complaint_and_finds_every_step_traced_the_custody_equal_to_the_ledger_and_the_chain_valid()
    {
        var journey = await system.JourneyAsync();
        var trailPath = $"/api/audit/cases/{journey.CaseId}/trail";

        var trail = await system.Audit.GetUntilAsync(trailPath, Auditor, steps => Missing(steps).Count == 0,
            "the audit trail holds every step of the journey");
        var steps = trail.EnumerateArray().ToList();
        foreach (var step in steps)
            output.WriteLine($"{step.GetProperty("seq")} {step.GetProperty("type").GetString()} trace {Text(step, "traceId")} owner {step.GetProperty("owner")}");

        // Every step can be followed to the trace of the work that produced it.
        Assert.All(steps, step => Assert.Matches(TraceId(), Text(step, "traceId") ?? "(none)"));
        // The complaint's receipt and the routing it caused run in one trace across the outbox hop.
        var received = steps.First(s => Text(s, "type") == "ComplaintReceived");
        var routed = steps.First(s => Text(s, "type") == "CaseRouted");
        Assert.Equal(Text(received, "traceId"), Text(routed, "traceId"));

        // Custody replayed from the trail is the ledger's custody, interval by interval.
        var ledger = (await system.Assignment.GetAsync($"/api/cases/{journey.CaseId}/custody", AccountabilitySystem.Token("p-1009", Roles.Dispatcher))).Ok();
        var replayed = await system.Audit.GetUntilAsync($"/api/audit/cases/{journey.CaseId}/custody", Auditor,
            c => c.GetArrayLength() == ledger.GetArrayLength(), "the replayed custody has as many intervals as the ledger");
        Assert.Equal(
            ledger.EnumerateArray().Select(i => (Text(i, "ownerKind"), Text(i, "ownerId"), At(i, "from"), At(i, "to"), Text(i, "transferKind"))),
            replayed.EnumerateArray().Select(i => (Text(i.GetProperty("owner"), "kind"), Text(i.GetProperty("owner"), "id"), At(i, "from"), At(i, "to"), Text(i, "transferKind"))));

        // The replayed state as of now agrees with the end of the journey.
        var state = (await system.Audit.GetAsync($"/api/audit/cases/{journey.CaseId}/state?asOf={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O"))}", Auditor)).Ok();
        Assert.Equal("open", Text(state, "status"));
        Assert.Equal(journey.Supervisor.Id, Text(state.GetProperty("owner"), "id"));
        Assert.Equal(journey.AllegationIds.Order(), state.GetProperty("allegations").EnumerateArray().Select(a => Text(a, "id")!).Order());
        Assert.All(state.GetProperty("allegations").EnumerateArray(), a => Assert.NotNull(Text(a, "finding")));

        // And the whole chain verifies.
        var verified = (await system.Audit.GetAsync("/api/audit/verify", Auditor)).Ok();
        Assert.True(verified.GetProperty("valid").GetBoolean(), verified.GetRawText());
        Assert.True(verified.GetProperty("checkedRecords").GetInt64() >= steps.Count, verified.GetRawText());
        Assert.Equal(JsonValueKind.Null, verified.GetProperty("firstBadRecord").ValueKind);
    }

    private static List<string> Missing(JsonElement steps)
    {
        var counts = steps.EnumerateArray().GroupBy(s => Text(s, "type") ?? "").ToDictionary(g => g.Key, g => g.Count());
        return [.. StepsOfTheJourney.Where(e => counts.GetValueOrDefault(e.Key) < e.Value).Select(e => $"{e.Key} x{e.Value}")];
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset? At(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset() : null;

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex TraceId();
}
