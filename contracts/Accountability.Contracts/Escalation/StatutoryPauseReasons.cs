namespace Accountability.Contracts.Escalation;

/// <summary>The only grounds on which the statutory clock may be paused; the values of StatutoryClockPaused.PauseReason.</summary>
public static class StatutoryPauseReasons
{
    public const string CriminalInvestigationPending = "criminal-investigation-pending";
    public const string WrittenWaiver = "written-waiver";
    public const string CivilLitigation = "civil-litigation";
    public const string EmployeeIncapacitated = "employee-incapacitated";

    public static readonly IReadOnlyList<string> All = [CriminalInvestigationPending, WrittenWaiver, CivilLitigation, EmployeeIncapacitated];

    public static bool IsKnown(string? reason) => reason is not null && All.Contains(reason, StringComparer.Ordinal);
}
