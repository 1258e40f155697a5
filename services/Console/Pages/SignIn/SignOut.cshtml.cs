using System.Security.Claims;
using Accountability.Console.SignIn;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages.SignIn;

public sealed class SignOutModel : PageModel
{
    public void OnGet()
    {
    }

    /// <summary>Ends the console's session, then, for a person who came through OpenID Connect, the provider's.</summary>
    public async Task<IActionResult> OnPostAsync([FromServices] OidcSignIn oidc, CancellationToken ct)
    {
        var throughProvider = User.FindFirstValue(ConsoleUser.MethodClaim) == ConsoleUser.OidcMethod;
        var idToken = throughProvider ? await HttpContext.GetTokenAsync(CookieAuthenticationDefaults.AuthenticationScheme, SessionCookie.IdTokenName) : null;
        await HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (throughProvider && await oidc.EndSessionUrlAsync(HttpContext, idToken, ct) is { } endSession)
            return Redirect(endSession);
        return RedirectToPage();
    }
}
