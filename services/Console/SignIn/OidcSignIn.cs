using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Accountability.Console.SignIn;

/// <summary>
/// OpenID Connect sign-in for deployments: the authorization code flow with PKCE, state and nonce.
/// (Microsoft's OpenIdConnect handler is not in the package registry this project builds from, so
/// the flow is written out here on top of Microsoft.IdentityModel's discovery and token validation.)
/// The provider's id token names the person (sub) and their roles ("role" claims); its access token
/// is what the console sends to the services, which validate it themselves.
/// </summary>
public sealed class OidcSignIn(IOptions<ConsoleOptions> options, IHttpClientFactory clients, IDataProtectionProvider protection, ILogger<OidcSignIn> logger)
{
    public const string StartPath = "/signin/oidc";
    public const string CallbackPath = "/signin/oidc/callback";
    public const string SignedOutPath = "/signout";
    private const string FlowCookie = "accountability.console.oidc";

    private readonly IDataProtector protector = protection.CreateProtector("Accountability.Console.Oidc");
    private ConfigurationManager<OpenIdConnectConfiguration>? configuration;

    private ConfigurationManager<OpenIdConnectConfiguration> Configuration => configuration ??= new(
        $"{options.Value.Oidc.Authority!.TrimEnd('/')}/.well-known/openid-configuration",
        new OpenIdConnectConfigurationRetriever(),
        new HttpDocumentRetriever(clients.CreateClient("oidc")) { RequireHttps = options.Value.Oidc.RequireHttpsMetadata });

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(StartPath, (HttpContext http, string? returnUrl, OidcSignIn oidc, CancellationToken ct) => oidc.StartAsync(http, returnUrl, ct));
        app.MapGet(CallbackPath, (HttpContext http, OidcSignIn oidc, CancellationToken ct) => oidc.CallbackAsync(http, ct));
    }

    private async Task<IResult> StartAsync(HttpContext http, string? returnUrl, CancellationToken ct)
    {
        var settings = options.Value.Oidc;
        if (!settings.Enabled)
            return Results.NotFound();
        OpenIdConnectConfiguration provider;
        try
        {
            provider = await Configuration.GetConfigurationAsync(ct);
        }
        catch (Exception exception) when (exception is InvalidOperationException or IOException or HttpRequestException)
        {
            logger.LogError(exception, "The OpenID Connect provider's configuration could not be read");
            return Results.Redirect("/signin?failed=provider");
        }
        var flow = new Flow(Random(), Random(), Random(), LocalPath(returnUrl));
        http.Response.Cookies.Append(FlowCookie, protector.Protect(JsonSerializer.Serialize(flow)), new CookieOptions
        {
            HttpOnly = true, Secure = http.Request.IsHttps, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromMinutes(10), Path = CallbackPath,
        });
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(flow.Verifier)));
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = settings.ClientId,
            ["redirect_uri"] = RedirectUri(http),
            ["scope"] = settings.Scopes,
            ["state"] = flow.State,
            ["nonce"] = flow.Nonce,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        return Results.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(provider.AuthorizationEndpoint, query));
    }

    private async Task<IResult> CallbackAsync(HttpContext http, CancellationToken ct)
    {
        var settings = options.Value.Oidc;
        if (!settings.Enabled)
            return Results.NotFound();
        var query = http.Request.Query;
        if (!http.Request.Cookies.TryGetValue(FlowCookie, out var protectedFlow) || Unprotect(protectedFlow) is not { } flow
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(flow.State), Encoding.ASCII.GetBytes(query["state"].ToString())))
            return Results.Redirect("/signin?failed=state");
        http.Response.Cookies.Delete(FlowCookie, new CookieOptions { Path = CallbackPath });
        if (!string.IsNullOrEmpty(query["error"]))
            return Results.Redirect("/signin?failed=refused");

        try
        {
            var provider = await Configuration.GetConfigurationAsync(ct);
            var form = new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = query["code"].ToString(),
                ["redirect_uri"] = RedirectUri(http),
                ["client_id"] = settings.ClientId,
                ["code_verifier"] = flow.Verifier,
            };
            if (!string.IsNullOrEmpty(settings.ClientSecret))
                form["client_secret"] = settings.ClientSecret;
            using var response = await clients.CreateClient("oidc").PostAsync(provider.TokenEndpoint, new FormUrlEncodedContent(form), ct);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("The OpenID Connect provider refused the code exchange: {Status}", (int)response.StatusCode);
                return Results.Redirect("/signin?failed=exchange");
            }
            using var tokens = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var idToken = tokens.RootElement.GetProperty("id_token").GetString()!;
            var accessToken = tokens.RootElement.GetProperty("access_token").GetString()!;
            var expiresIn = tokens.RootElement.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) ? seconds : 3600;

            var validation = await new JsonWebTokenHandler().ValidateTokenAsync(idToken, new TokenValidationParameters
            {
                ValidIssuer = provider.Issuer,
                ValidAudience = settings.ClientId,
                IssuerSigningKeys = provider.SigningKeys,
                ValidateLifetime = true,
                ClockSkew = TimeSpan.FromMinutes(1),
            });
            if (!validation.IsValid || validation.SecurityToken is not JsonWebToken id
                || !id.TryGetPayloadValue<string>("nonce", out var nonce) || nonce != flow.Nonce)
            {
                logger.LogWarning(validation.Exception, "An id token from the OpenID Connect provider did not validate");
                return Results.Redirect("/signin?failed=token");
            }
            var roles = id.Claims.Where(c => c.Type is "role" or "roles").Select(c => c.Value).Where(r => Roles.All.Contains(r)).ToList();
            var name = id.TryGetPayloadValue<string>("name", out var n) ? n : id.Subject;
            var principal = ConsoleUser.Principal(id.Subject, name, roles, ConsoleUser.OidcMethod);
            await SessionCookie.SignInAsync(http, principal, accessToken, DateTimeOffset.UtcNow.AddSeconds(expiresIn), idToken);
            return Results.Redirect(flow.ReturnUrl);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            logger.LogError(exception, "OpenID Connect sign-in failed");
            return Results.Redirect("/signin?failed=provider");
        }
    }

    /// <summary>
    /// Where to send the browser after the console's own sign-out, so that the provider ends its session
    /// too (RP-initiated logout) and the next "Sign in" on a shared desk asks who is there. Null when the
    /// provider publishes no end_session_endpoint or cannot be reached: the console's session is over anyway.
    /// </summary>
    public async Task<string?> EndSessionUrlAsync(HttpContext http, string? idToken, CancellationToken ct)
    {
        var settings = options.Value.Oidc;
        if (!settings.Enabled)
            return null;
        OpenIdConnectConfiguration provider;
        try
        {
            provider = await Configuration.GetConfigurationAsync(ct);
        }
        catch (Exception exception) when (exception is InvalidOperationException or IOException or HttpRequestException)
        {
            logger.LogWarning(exception, "The OpenID Connect provider's configuration could not be read; signed out of the console only");
            return null;
        }
        if (string.IsNullOrEmpty(provider.EndSessionEndpoint))
            return null;
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = settings.ClientId,
            ["post_logout_redirect_uri"] = $"{http.Request.Scheme}://{http.Request.Host}{SignedOutPath}",
        };
        if (!string.IsNullOrEmpty(idToken))
            query["id_token_hint"] = idToken;
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(provider.EndSessionEndpoint, query);
    }

    /// <summary>Only a path on this site: an open redirect would let a link send people anywhere after sign-in.</summary>
    public static string LocalPath(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
        // A tab or newline after the slash makes browsers read "/\t/evil.example" as another host; LocalRedirect would throw (a 500).
        && !returnUrl.Any(char.IsControl) ? returnUrl : "/";

    private static string RedirectUri(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{CallbackPath}";

    private static string Random() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private Flow? Unprotect(string value)
    {
        try
        {
            return JsonSerializer.Deserialize<Flow>(protector.Unprotect(value));
        }
        catch (Exception exception) when (exception is CryptographicException or JsonException or FormatException)
        {
            return null;
        }
    }

    private sealed record Flow(string State, string Nonce, string Verifier, string ReturnUrl);
}
