using Accountability.Console.Backend;
using Accountability.Console.SignIn;
using Accountability.ServiceDefaults.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Accountability.Console.Pages.SignIn;

/// <summary>Sign-in: the deployment's OpenID Connect provider, and in development mode a pick from the directory.</summary>
public sealed class SignInModel(IOptions<ConsoleOptions> options, IWebHostEnvironment environment, DirectoryClient directory, AuthOptions auth) : PageModel
{
    /// <summary>As long as a shift: the local token and the session end together.</summary>
    private static readonly TimeSpan DevelopmentSession = TimeSpan.FromHours(10);

    public bool DevelopmentEnabled => options.Value.DevelopmentSignIn && environment.IsDevelopment();

    public bool OidcEnabled => options.Value.Oidc.Enabled;

    public OrgChart? Chart { get; private set; }

    public ApiProblem? Problem { get; private set; }

    public string ReturnUrl { get; private set; } = "/";

    public string? Failure { get; private set; }

    public async Task OnGetAsync(string? returnUrl, string? failed, CancellationToken ct)
    {
        ReturnUrl = ConsoleSignIn.LocalPath(returnUrl);
        Failure = failed switch
        {
            null => null,
            "state" => "The sign-in took too long or was started elsewhere. Please start again.",
            "refused" => "The sign-in was cancelled or refused by your department's identity provider.",
            "token" => "Your department's identity provider answered with a sign-in this console cannot accept. Please start again; if it keeps failing, call the help desk.",
            _ => "Signing in through your department's identity provider failed. Please try again; if it keeps failing, call the help desk.",
        };
        if (DevelopmentEnabled)
            (Chart, Problem) = ToTuple(await directory.CurrentForSignInAsync(ct));
    }

    public async Task<IActionResult> OnPostDevelopmentAsync(string? personId, string? returnUrl, CancellationToken ct)
    {
        if (!DevelopmentEnabled)
            return NotFound();
        ReturnUrl = ConsoleSignIn.LocalPath(returnUrl);
        (Chart, Problem) = ToTuple(await directory.CurrentForSignInAsync(ct));
        if (Chart is null)
            return Page();
        if (Chart.Person(personId) is not { Active: true } person)
        {
            Failure = "Pick an active person from the list.";
            return Page();
        }
        var expires = DateTimeOffset.UtcNow.Add(DevelopmentSession);
        var token = LocalTokens.Issue(auth, person.Id, person.Roles, DevelopmentSession);
        await ConsoleSignIn.SignInForDevelopmentAsync(HttpContext, ConsoleUser.Principal(person.Id, person.Name, person.Roles, ConsoleUser.DevelopmentMethod), token, expires);
        return LocalRedirect(ReturnUrl);
    }

    private static (OrgChart?, ApiProblem?) ToTuple(ApiResult<OrgChart> result) => (result.Value, result.Problem);
}
