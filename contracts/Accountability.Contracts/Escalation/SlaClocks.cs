namespace Accountability.Contracts.Escalation;

/// <summary>The SLA clocks of a case; the values of every Clock field in the escalation events and of EscalateCase.Clock.</summary>
public static class SlaClocks
{
    public const string Acknowledge = "acknowledge";
    public const string HandoffAccept = "handoff-accept";
    public const string FirstContact = "first-contact";
    public const string Resolution = "resolution";
    public const string Statutory = "statutory";

    public static readonly IReadOnlyList<string> All = [Acknowledge, HandoffAccept, FirstContact, Resolution, Statutory];

    public static bool IsKnown(string? clock) => clock is not null && All.Contains(clock, StringComparer.Ordinal);
}
