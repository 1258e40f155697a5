namespace Accountability.ServiceDefaults.Security;

/// <summary>The roles a token may carry in its "role" claim. Each is also the name of a policy.</summary>
public static class Roles
{
    public const string IntakeClerk = "intake-clerk";
    public const string Dispatcher = "dispatcher";
    public const string Investigator = "investigator";
    public const string Supervisor = "supervisor";
    public const string Commander = "commander";
    public const string Auditor = "auditor";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All =
        [IntakeClerk, Dispatcher, Investigator, Supervisor, Commander, Auditor, Admin];

    /// <summary>Everyone who works cases (as opposed to auditing them).</summary>
    public static readonly IReadOnlyList<string> CaseWorkers =
        [IntakeClerk, Dispatcher, Investigator, Supervisor, Commander, Admin];

    /// <summary>
    /// Who may see a complainant's contact details: those who take, investigate or answer for the complaint.
    /// Dispatchers route by category and district and need no personal data; auditors review the process,
    /// not the person; admins run the system.
    /// </summary>
    public static readonly IReadOnlyList<string> ContactReaders =
        [IntakeClerk, Investigator, Supervisor, Commander];
}
