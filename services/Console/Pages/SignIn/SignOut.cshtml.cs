using Accountability.Console.SignIn;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Accountability.Console.Pages.SignIn;

public sealed class SignOutModel(ILogger<SignOutModel> logger) : PageModel
{
    public void OnGet()
    {
    }

    /// <summary>
    /// Ends the console's session, then, for a person who came through OpenID Connect, the provider's
    /// (RP-initiated logout, with the id token as hint), so the next "Sign in" on a shared desk asks who
    /// is there. The provider sends the browser back here. A provider that cannot be reached, or that
    /// publishes no end_session_endpoint, leaves the console's sign-out done anyway.
    /// </summary>
    public async Task<IActionResult> OnPostAsync()
    {
        var throughProvider = User.FindFirst(ConsoleUser.MethodClaim)?.Value == ConsoleUser.OidcMethod
                              && await HttpContext.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>()
                                  .GetSchemeAsync(OpenIdConnectDefaults.AuthenticationScheme) is not null;
        await HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (!throughProvider)
            return RedirectToPage();
        try
        {
            await HttpContext.SignOutAsync(OpenIdConnectDefaults.AuthenticationScheme, new AuthenticationProperties { RedirectUri = ConsoleSignIn.SignedOutPath });
            return new EmptyResult(); // the handler has answered with the redirect to the provider
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException or IOException or OpenIdConnectProtocolException)
        {
            logger.LogWarning(exception, "The OpenID Connect provider's session could not be ended; signed out of the console only");
            return RedirectToPage();
        }
    }
}
