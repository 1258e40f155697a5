using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Accountability.Console.SignIn;

/// <summary>
/// The console's session cookie, and sign-in through the deployment's OpenID Connect provider with
/// ASP.NET Core's OpenIdConnect handler: the authorization code flow with PKCE, state and nonce
/// checked by the handler, the provider's tokens kept in the session (its access token is what the
/// console sends to the services), and RP-initiated sign-out.
/// </summary>
public static class ConsoleSignIn
{
    public const string CookieName = "accountability.console";
    public const string StartPath = "/signin/oidc";
    public const string CallbackPath = "/signin/oidc/callback";

    /// <summary>Where the provider sends the browser back after ending its session (register it as a post-logout redirect URI).</summary>
    public const string SignedOutCallbackPath = "/signout/oidc/callback";

    public const string SignedOutPath = "/signout";

    public static void AddConsoleSignIn(this IServiceCollection services, ConsoleOptions options)
    {
        var authentication = services
            .AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.LoginPath = "/signin";
                cookie.AccessDeniedPath = "/denied";
                cookie.ReturnUrlParameter = "returnUrl";
                // The session ends with the access token in it, so the console never calls a service with a dead token.
                cookie.SlidingExpiration = false;
            });
        if (options.Oidc.Enabled)
            authentication.AddOpenIdConnect(oidc => Configure(oidc, options.Oidc));
    }

    private static void Configure(OpenIdConnectOptions oidc, ConsoleOptions.OidcOptions settings)
    {
        oidc.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        oidc.Authority = settings.Authority;
        oidc.RequireHttpsMetadata = settings.RequireHttpsMetadata;
        oidc.ClientId = settings.ClientId;
        oidc.ClientSecret = string.IsNullOrEmpty(settings.ClientSecret) ? null : settings.ClientSecret;
        oidc.ResponseType = OpenIdConnectResponseType.Code;
        // A plain redirect back (not form_post), so the flow's cookies can stay SameSite=Lax.
        oidc.ResponseMode = OpenIdConnectResponseMode.Query;
        oidc.UsePkce = true;
        oidc.CallbackPath = CallbackPath;
        oidc.SignedOutCallbackPath = SignedOutCallbackPath;
        oidc.SignedOutRedirectUri = SignedOutPath;
        oidc.Scope.Clear();
        foreach (var scope in settings.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            oidc.Scope.Add(scope);
        if (!string.IsNullOrWhiteSpace(settings.Resource))
            oidc.Resource = settings.Resource;
        // The id token names the person and their roles; the access token is for the services, not for userinfo.
        oidc.GetClaimsFromUserInfoEndpoint = false;
        oidc.SaveTokens = true;
        oidc.MapInboundClaims = false;
        oidc.TokenValidationParameters.NameClaimType = "name";
        oidc.TokenValidationParameters.RoleClaimType = "role";
        oidc.BackchannelTimeout = TimeSpan.FromSeconds(15);
        foreach (var cookie in new[] { oidc.CorrelationCookie, oidc.NonceCookie })
        {
            cookie.SameSite = SameSiteMode.Lax;
            cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        }

        oidc.Events = new OpenIdConnectEvents
        {
            // RFC 8707: the access token is asked for the services' resource at the token endpoint too.
            OnAuthorizationCodeReceived = context =>
            {
                if (!string.IsNullOrWhiteSpace(settings.Resource) && context.TokenEndpointRequest is { } request)
                    request.Resource = settings.Resource;
                return Task.CompletedTask;
            },
            OnTokenValidated = TokenValidated,
            OnAccessDenied = context =>
            {
                context.Response.Redirect("/signin?failed=refused");
                context.HandleResponse();
                return Task.CompletedTask;
            },
            OnRemoteFailure = RemoteFailure,
        };
    }

    /// <summary>The console's own principal (as for the development sign-in), and a session that ends with the access token.</summary>
    private static Task TokenValidated(TokenValidatedContext context)
    {
        if (string.IsNullOrEmpty(context.TokenEndpointResponse?.AccessToken))
        {
            context.Fail("The provider issued no access token for the services.");
            return Task.CompletedTask;
        }
        var id = context.Principal;
        var subject = id?.FindFirstValue("sub");
        if (id is null || string.IsNullOrEmpty(subject))
        {
            context.Fail("The provider's id token has no subject.");
            return Task.CompletedTask;
        }
        var roles = id.Claims.Where(c => c.Type is "role" or "roles").Select(c => c.Value);
        context.Principal = ConsoleUser.Principal(subject, id.FindFirstValue("name") ?? subject, roles, ConsoleUser.OidcMethod);

        var properties = context.Properties!;
        properties.IsPersistent = false;
        properties.AllowRefresh = false;
        var lifetime = int.TryParse(context.TokenEndpointResponse.ExpiresIn, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromHours(1);
        properties.ExpiresUtc = DateTimeOffset.UtcNow.Add(lifetime);
        return Task.CompletedTask;
    }

    /// <summary>How the handler words a callback that did not start in this browser, or whose state was altered.</summary>
    private static readonly string[] StateFailures = ["Correlation failed", "unprotect the message.State", "state was missing or invalid"];

    /// <summary>A failed sign-in goes back to the sign-in page with the reason in words, never a stack trace.</summary>
    private static Task RemoteFailure(RemoteFailureContext context)
    {
        var failure = context.Failure;
        var reason = failure switch
        {
            _ when failure?.Data["error"] is "access_denied" or "login_required" or "consent_required" or "interaction_required" => "refused",
            // The handler's own words for a callback that did not start in this browser: no correlation cookie, or a state it cannot unprotect.
            _ when failure?.Message is { } m && StateFailures.Any(words => m.Contains(words, StringComparison.OrdinalIgnoreCase)) => "state",
            OpenIdConnectProtocolException or SecurityTokenException => "token",
            _ => "provider",
        };
        context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleSignIn))
            .LogWarning(failure, "OpenID Connect sign-in refused ({Reason})", reason);
        context.Response.Redirect($"/signin?failed={reason}");
        context.HandleResponse();
        return Task.CompletedTask;
    }

    /// <summary>
    /// GET /signin/oidc?returnUrl=…: off to the provider, and back to that page of the console afterwards
    /// (404 without a provider). The callbacks are the handler's own paths, not endpoints.
    /// </summary>
    public static void MapConsoleSignIn(this IEndpointRouteBuilder app, ConsoleOptions options) =>
        app.MapGet(StartPath, (string? returnUrl) => options.Oidc.Enabled
            ? Results.Challenge(new AuthenticationProperties { RedirectUri = LocalPath(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme])
            : Results.NotFound());

    /// <summary>The development sign-in: a session for a person of the directory, carrying a local token for the services.</summary>
    public static Task SignInForDevelopmentAsync(HttpContext http, ClaimsPrincipal principal, string accessToken, DateTimeOffset expiresAt)
    {
        var properties = new AuthenticationProperties { IsPersistent = false, ExpiresUtc = expiresAt, AllowRefresh = false };
        properties.StoreTokens([new AuthenticationToken { Name = Backend.ServiceApi.AccessTokenName, Value = accessToken }]);
        return http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal, properties);
    }

    /// <summary>Only a path on this site: an open redirect would let a link send people anywhere after sign-in.</summary>
    public static string LocalPath(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
        // A tab or newline after the slash makes browsers read "/\t/evil.example" as another host; LocalRedirect would throw (a 500).
        && !returnUrl.Any(char.IsControl) ? returnUrl : "/";
}
