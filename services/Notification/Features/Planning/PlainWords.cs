using Accountability.Contracts.Custody;

namespace Accountability.Notification.Features.Planning;

/// <summary>The words the messages use for the system's codes. Public messages avoid jargon.</summary>
public static class PlainWords
{
    public static string Transfer(string transferKind) => transferKind switch
    {
        "routed" => "routed to you",
        "handoff" => "handed over to you",
        "reassigned" => "reassigned to you",
        "reopened" => "reopened and given to you",
        "escalated" => "escalated to you",
        _ => transferKind,
    };

    public static string Finding(string finding) => finding switch
    {
        "sustained" => "the evidence showed that it happened and was against the rules",
        "not-sustained" => "there was not enough evidence to say whether it happened",
        "exonerated" => "it happened, but it was lawful and within the rules",
        "unfounded" => "the evidence showed that it did not happen",
        "policy-failure" => "the officer followed the rules, but the rules themselves need to change",
        "withdrawn" => "it was withdrawn",
        _ => finding,
    };

    /// <summary>"We looked at 2 parts of your complaint. For 1 of them, ..." — one sentence per kind of finding.</summary>
    public static string FindingsSummary(IReadOnlyList<AllegationFinding> findings)
    {
        if (findings.Count == 0)
            return "The investigation is complete.";
        var parts = findings.GroupBy(f => f.Finding, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .Select(g => findings.Count == 1
                ? $"The finding: {Finding(g.Key)}."
                : $"For {g.Count()} of them, {Finding(g.Key)}.");
        var opening = findings.Count == 1 ? "We looked at the part of your complaint about one officer's conduct." : $"We looked at {findings.Count} parts of your complaint.";
        return opening + " " + string.Join(" ", parts);
    }

    public static string Clock(string clock) => clock switch
    {
        "acknowledge" => "acknowledging the case",
        "handoff-accept" => "answering the handoff",
        "first-contact" => "first contact with the complainant",
        "resolution" => "resolving the case",
        "statutory" => "the statutory deadline",
        _ => clock,
    };
}
