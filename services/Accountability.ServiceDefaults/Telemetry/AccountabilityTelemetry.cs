using System.Diagnostics;

namespace Accountability.ServiceDefaults.Telemetry;

/// <summary>The names every service uses on spans that touch a case, so one query finds a case's whole custody chain.</summary>
public static class AccountabilityTelemetry
{
    public const string CaseIdTag = "accountability.case_id";
    public const string StepTag = "accountability.step";
    public const string OwnerKindTag = "accountability.owner.kind";
    public const string OwnerIdTag = "accountability.owner.id";

    /// <summary>Marks a span as a step in a case's life, with the owner at that step.</summary>
    public static Activity? TagCase(this Activity? activity, Guid caseId, string step, string? ownerKind = null, string? ownerId = null)
    {
        if (activity is null)
            return null;
        activity.SetTag(CaseIdTag, caseId.ToString());
        activity.SetTag(StepTag, step);
        if (ownerKind is not null)
            activity.SetTag(OwnerKindTag, ownerKind);
        if (ownerId is not null)
            activity.SetTag(OwnerIdTag, ownerId);
        return activity;
    }
}
