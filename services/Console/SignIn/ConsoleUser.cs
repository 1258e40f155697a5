using System.Security.Claims;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Console.SignIn;

/// <summary>The signed-in person as the pages see them. Claims keep their JWT names, as in the services.</summary>
public static class ConsoleUser
{
    public const string NameClaim = "name";
    public const string MethodClaim = "signin_method";
    public const string DevelopmentMethod = "development";
    public const string OidcMethod = "oidc";

    /// <summary>Who may open the case board (each sees on it only the cases assignment lets them see).</summary>
    public static readonly string[] BoardRoles = [Roles.Dispatcher, Roles.Investigator, Roles.Supervisor, Roles.Commander, Roles.Admin];

    /// <summary>Who has an inbox of cases and handoffs.</summary>
    public static readonly string[] InboxRoles = [Roles.Investigator, Roles.Supervisor, Roles.Commander];

    /// <summary>Who files complaints taken by phone, in person or by mail: as intake's staff filing API decides.</summary>
    public static readonly string[] IntakeRoles = [Roles.IntakeClerk, Roles.Dispatcher, Roles.Admin];

    public static readonly string[] SupervisorRoles = [Roles.Supervisor, Roles.Commander, Roles.Admin];

    public static readonly string[] AuditorRoles = [Roles.Auditor, Roles.Admin];

    /// <summary>An officer's history: internal-affairs command (commanders, supervisors by role; escalation decides) and auditors.</summary>
    public static readonly string[] OfficerHistoryRoles = [Roles.Commander, Roles.Supervisor, Roles.Auditor];

    /// <summary>Who may open a case page (the auditor reads cases through the audit view instead).</summary>
    public static readonly string[] CaseRoles = [.. Roles.CaseWorkers];

    /// <summary>Who may pause or resume the statutory clock, force a reassignment: as the escalation and assignment services decide.</summary>
    public static readonly string[] CommandRoles = [Roles.Supervisor, Roles.Commander, Roles.Admin];

    public static string DisplayName(this ClaimsPrincipal user) => user.FindFirstValue(NameClaim) ?? user.FindFirstValue("sub") ?? "";

    public static bool SignedInForDevelopment(this ClaimsPrincipal user) => user.FindFirstValue(MethodClaim) == DevelopmentMethod;

    public static IEnumerable<string> RoleNames(this ClaimsPrincipal user) => user.FindAll("role").Select(c => c.Value);

    /// <summary>The claims of a console session: subject, display name, roles and how the person signed in.</summary>
    public static ClaimsPrincipal Principal(string subject, string name, IEnumerable<string> roles, string method)
    {
        var claims = new List<Claim> { new("sub", subject), new(NameClaim, name), new(MethodClaim, method) };
        claims.AddRange(roles.Where(r => Roles.All.Contains(r)).Distinct().Select(r => new Claim("role", r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "console", "sub", "role"));
    }
}
