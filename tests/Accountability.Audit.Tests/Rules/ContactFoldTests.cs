using System.Text.Json;
using Accountability.Audit.Features.Replay;
using Xunit;

namespace Accountability.Audit.Tests.Rules;

/// <summary>Replay folds each contact with the complainant, how it was made and what was said, old events included.</summary>
public sealed class ContactFoldTests
{
    private static readonly Guid CaseId = Guid.NewGuid();
    private static readonly DateTimeOffset T0 = new(2026, 3, 3, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_contact_from_before_methods_were_asked_for_folds_with_no_method_and_keeps_its_place_in_the_trail()
    {
        var events = new[]
        {
            Event(1, "ComplainantContacted", T0, new { caseId = CaseId, caseVersion = 1, actor = "p-1014", reason = "", occurredAt = T0, ownerKind = "person", ownerId = "p-1014" }),
            Event(2, "ComplainantContacted", T0.AddHours(1), new
            {
                caseId = CaseId, caseVersion = 2, actor = "p-1014", reason = "", occurredAt = T0.AddHours(1), ownerKind = "person", ownerId = "p-1014",
                method = "phone", note = "She will send the photos by Friday.",
            }),
            Event(3, "ComplainantContacted", T0.AddHours(2), new
            {
                caseId = CaseId, caseVersion = 3, actor = "p-1014", reason = "", occurredAt = T0.AddHours(2), ownerKind = "person", ownerId = "p-1014",
                method = "letter", note = (string?)null,
            }),
        };

        var state = CaseFold.StateAsOf(CaseId, events);
        var trail = CaseFold.Trail(CaseId, events);

        Assert.True(state.ComplainantContacted);
        Assert.Equal([null, "phone", "letter"], state.Contacts.Select(c => c.Method));
        Assert.Equal("She will send the photos by Friday.", state.Contacts[1].Note);
        Assert.Equal(["", "by phone: She will send the photos by Friday.", "by letter"], trail.Select(step => step.Reason));
        Assert.Single(CaseFold.StateAsOf(CaseId, events, asOf: T0.AddMinutes(30)).Contacts);
    }

    private static TrailEvent Event(long seq, string type, DateTimeOffset at, object body) =>
        new(seq, seq, type, at, JsonSerializer.SerializeToElement(body, JsonSerializerOptions.Web), null);
}
