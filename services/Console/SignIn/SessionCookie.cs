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

    /// <summary>The OpenID Connect id token, kept to end the provider's session at sign-out (id_token_hint).</summary>
    public const string IdTokenName = "id_token";

    public static Task SignInAsync(HttpContext http, ClaimsPrincipal principal, string accessToken, DateTimeOffset expiresAt, string? idToken = null)
    {
        var properties = new AuthenticationProperties { IsPersistent = false, ExpiresUtc = expiresAt, AllowRefresh = false };
        var tokens = new List<AuthenticationToken> { new() { Name = ServiceApi.AccessTokenName, Value = accessToken } };
        if (idToken is { Length: > 0 })
            tokens.Add(new AuthenticationToken { Name = IdTokenName, Value = idToken });
        properties.StoreTokens(tokens);
        return http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal, properties);
    }
}
