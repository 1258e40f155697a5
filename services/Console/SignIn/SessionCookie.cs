using System.Security.Claims;
using Accountability.Console.Backend;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Accountability.Console.SignIn;

/// <summary>
/// The console's session: an HttpOnly, SameSite=Lax cookie that carries the user's API token for the
/// backend calls. It ends when the token does, so the console never calls a service with a dead token.
/// </summary>
public static class SessionCookie
{
    public const string Name = "accountability.console";

    public static Task SignInAsync(HttpContext http, ClaimsPrincipal principal, string accessToken, DateTimeOffset expiresAt)
    {
        var properties = new AuthenticationProperties { IsPersistent = false, ExpiresUtc = expiresAt, AllowRefresh = false };
        properties.StoreTokens([new AuthenticationToken { Name = ServiceApi.AccessTokenName, Value = accessToken }]);
        return http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal, properties);
    }
}
