namespace Accountability.Notification.Features.Templates;

/// <summary>Every trigger of the service. Each has a .txt and an .html template file of the same name.</summary>
public static class Triggers
{
    public const string Receipt = "receipt";
    public const string Routed = "routed";
    public const string Contacted = "contacted";
    public const string Delay = "delay";
    public const string Resolution = "resolution";
    public const string Assignment = "assignment";
    public const string HandoffRequest = "handoff-request";
    public const string HandoffOutcome = "handoff-outcome";
    public const string SlaWarning = "sla-warning";
    public const string Escalation = "escalation";
    public const string Breach = "breach";
    public const string EarlyWarning = "early-warning";

    public static class Roles
    {
        public const string Complainant = "complainant";
        public const string Owner = "owner";
        public const string Supervisor = "supervisor";

        /// <summary>Whoever asked for a handoff when that was not the owner: a dispatcher, or someone in the owner's chain.</summary>
        public const string Requester = "requester";

        /// <summary>Internal-affairs command, told of early warnings about officers beside the officer's own chain.</summary>
        public const string InternalAffairs = "internal-affairs";
    }

    // Filled in at send time from the case (complainant) or the directory (staff).
    // greeting: "Hello Pat Rivera," when the complainant gave a name, else "Hello,". reasonLine: "Reason given: …", or
    // nothing when none was given (never an empty "Reason given:"). caseUrl: the case page in the console.
    private static readonly string[] Public = ["trackingCode", "statusUrl", "department", "greeting"];
    private static readonly string[] Staff = ["recipientName", "caseId", "caseNumber", "department", "reason", "reasonLine", "caseUrl"];

    public static readonly IReadOnlyDictionary<string, Trigger> All = new Trigger[]
    {
        new(Receipt, Roles.Complainant, Set(Public, "optOutUrl")),
        new(Routed, Roles.Complainant, Set(Public, "optOutUrl", "unitName")),
        new(Contacted, Roles.Complainant, Set(Public, "optOutUrl")),
        new(Delay, Roles.Complainant, Set(Public, "optOutUrl")),
        new(Resolution, Roles.Complainant, Set(Public, "unitName", "findingsSummary", "satisfactionUrl")),
        new(Assignment, Roles.Owner, Set(Staff, "transferKind")),
        new(HandoffRequest, Roles.Owner, Set(Staff, "fromOwner")),
        new(HandoffOutcome, Roles.Owner, Set(Staff, "outcome", "toOwner", "askedBy", "custodyLine")),
        new(SlaWarning, Roles.Owner, Set(Staff, "clock", "dueAt")),
        new(Escalation, Roles.Supervisor, Set(Staff, "level", "fromOwner")),
        new(Breach, Roles.Supervisor, Set(Staff, "clock", "ownerName")),
        new(EarlyWarning, Roles.Supervisor, Set(Staff, "officer", "policy", "caseCount", "warningAt", "warningUrl")),
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    public static Trigger Get(string name) =>
        All.TryGetValue(name, out var trigger) ? trigger : throw new InvalidOperationException($"There is no trigger named '{name}'.");

    private static HashSet<string> Set(string[] common, params string[] own) => [.. common, .. own];
}
