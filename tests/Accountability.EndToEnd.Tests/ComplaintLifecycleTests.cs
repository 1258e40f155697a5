using Accountability.TestSupport;
using System.Globalization;
using System.Text.Json;
using Accountability.EndToEnd.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Xunit;
using Xunit.Abstractions;

namespace Accountability.EndToEnd.Tests;

[Collection(nameof(AccountabilitySystem))]
public sealed class ComplaintLifecycleTests(AccountabilitySystem system, ITestOutputHelper output)
{
    [Fact]
    public async Task A_complaint_goes_from_filing_through_a_decline_an_acceptance_an_escalation_and_resolution_to_reopening_with_one_owner_at_every_instant()
    {
        var journey = await system.JourneyAsync();
        foreach (var step in journey.Steps)
            output.WriteLine(step);
        var directory = await system.DirectoryAsync();

        var custody = journey.Custody.EnumerateArray().ToList();
        Assert.Equal(["received", "routed", "handoff", "escalated"], custody.Select(i => i.GetProperty("transferKind").GetString()));
        Assert.Equal([directory.IntakeDeskUnitId, journey.RoutedTo.Id, journey.Receiver.Id, journey.Supervisor.Id],
            custody.Select(i => i.GetProperty("ownerId").GetString()));
        // The declined handoff never moved custody.
        Assert.DoesNotContain(custody, i => i.GetProperty("ownerId").GetString() == journey.Decliner.Id);

        // No gap and no overlap: each interval ends exactly where the next begins; only the last is open.
        for (var i = 0; i + 1 < custody.Count; i++)
        {
            var to = custody[i].GetProperty("to");
            Assert.Equal(JsonValueKind.String, to.ValueKind);
            Assert.Equal(custody[i + 1].GetProperty("from").GetDateTimeOffset(), to.GetDateTimeOffset());
            Assert.True(custody[i].GetProperty("from").GetDateTimeOffset() <= to.GetDateTimeOffset());
        }
        Assert.Single(custody, i => i.GetProperty("to").ValueKind == JsonValueKind.Null);
        Assert.Equal(JsonValueKind.Null, custody[^1].GetProperty("to").ValueKind);

        // Asked "who owned it at that instant", the ledger names exactly the interval's owner.
        var dispatcher = AccountabilitySystem.Token("p-1009", Roles.Dispatcher);
        foreach (var interval in custody)
        {
            var at = interval.GetProperty("from").GetDateTimeOffset().ToString("O", CultureInfo.InvariantCulture);
            var owner = (await system.Assignment.GetAsync($"/api/cases/{journey.CaseId}/custody?at={Uri.EscapeDataString(at)}", dispatcher)).Ok();
            Assert.Equal(interval.GetProperty("ownerId").GetString(), owner.GetProperty("ownerId").GetString());
        }

        // What the complainant read: the code at receipt, the findings and the question at resolution.
        Assert.Contains(journey.TrackingCode, journey.Receipt.Text, StringComparison.Ordinal);
        Assert.Contains(journey.TrackingCode, journey.Resolution.Subject, StringComparison.Ordinal);
        Assert.Contains("/api/public/satisfaction/", journey.Resolution.Text, StringComparison.Ordinal);
        Assert.Equal(2, journey.AllegationIds.Count);

        // The public status page named the unit responsible (a unit, never a person).
        Assert.Equal(journey.RoutedUnitName, journey.PublicStatusWhileAssigned.GetProperty("responsibleUnit").GetString());
    }
}
