using System.Text.Json;
using Accountability.Audit.Features.Replay;
using Xunit;

namespace Accountability.Audit.Tests.Rules;

/// <summary>Replay tells the auditor when and why a case was confidential, who decided it and who was on the team (issue 12).</summary>
public sealed class ConfidentialityFoldTests
{
    private static readonly Guid CaseId = Guid.NewGuid();
    private static readonly DateTimeOffset T0 = new(2026, 3, 3, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_confidential_case_folds_its_team_reason_and_commander_until_the_confidentiality_is_lifted()
    {
        var events = new[]
        {
            Event(1, "CaseMarkedConfidential", T0, new
            {
                caseId = CaseId, caseVersion = 5, actor = "p-1011", reason = "Concerns a senior officer's family", occurredAt = T0, team = new[] { "p-1019", "p-1015" },
            }),
            Event(2, "CaseMarkedConfidential", T0.AddHours(1), new
            {
                caseId = CaseId, caseVersion = 6, actor = "p-1011", reason = "Fewer people", occurredAt = T0.AddHours(1), team = new[] { "p-1015" },
            }),
            Event(3, "CaseConfidentialityLifted", T0.AddHours(2), new
            {
                caseId = CaseId, caseVersion = 7, actor = "p-1011", reason = "The inquiry is public", occurredAt = T0.AddHours(2),
            }),
        };

        var first = CaseFold.StateAsOf(CaseId, events, asOf: T0.AddMinutes(30)).Confidentiality!;
        Assert.Equal(["p-1019", "p-1015"], first.Team);
        Assert.Equal(("Concerns a senior officer's family", "p-1011", T0), (first.Reason, first.MarkedBy, first.MarkedAt));
        Assert.Equal(["p-1015"], CaseFold.StateAsOf(CaseId, events, asOf: T0.AddMinutes(90)).Confidentiality!.Team);
        Assert.Null(CaseFold.StateAsOf(CaseId, events).Confidentiality);
        Assert.Equal(["Concerns a senior officer's family", "Fewer people", "The inquiry is public"], CaseFold.Trail(CaseId, events).Select(step => step.Reason));
    }

    private static TrailEvent Event(long seq, string type, DateTimeOffset at, object body) =>
        new(seq, seq, type, at, JsonSerializer.SerializeToElement(body, JsonSerializerOptions.Web), null);
}
