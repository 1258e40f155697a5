namespace Accountability.Notification.Features.Planning;

/// <summary>
/// A notification to record. (SourceKey, recipient, Channel, Template) is its idempotency key:
/// SourceKey names the event, as "case:&lt;id&gt;:v&lt;version&gt;" when the event has a case version, so a
/// duplicate with another message id still collapses into the same delivery.
/// </summary>
public sealed record PlannedDelivery(
    string SourceKey,
    string RecipientRole,
    string? RecipientPersonId,
    string Channel,
    string Template,
    Guid? CaseId,
    IReadOnlyDictionary<string, string> Parameters)
{
    public const string ComplainantKey = "complainant";

    public string RecipientKey => RecipientPersonId ?? ComplainantKey;

    /// <summary>
    /// How long a complainant's delivery waits for its case when it is planned before the case's filing reached this service
    /// (routing's news often overtakes it under load). The filing's arrival makes it due at once (<see cref="Data.CaseStore.AddStatement"/>);
    /// without one it is attempted then, and retried as any other delivery whose case is missing.
    /// </summary>
    public static readonly TimeSpan CaseWait = TimeSpan.FromMinutes(1);

    public static string CaseEvent(Guid caseId, long caseVersion) => $"case:{caseId}:v{caseVersion}";

    /// <summary>The escalation service numbers its own events per case, apart from the assignment service's.</summary>
    public static string EscalationEvent(Guid caseId, long caseVersion) => $"escalation:{caseId}:v{caseVersion}";

    /// <summary>
    /// One escalation is announced twice (EscalationRaised, then the CustodyTransferred it causes);
    /// both map to this key, so the supervisor hears of it once.
    /// </summary>
    public static string Escalation(Guid caseId, int level, string toPersonId) => $"case:{caseId}:escalation:{level}:{toPersonId}";
}
