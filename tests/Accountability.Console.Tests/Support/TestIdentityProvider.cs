using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Accountability.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Accountability.Console.Tests.Support;

/// <summary>
/// A small OpenID Connect provider on loopback, standing in for a department's identity provider:
/// discovery, signing keys, an authorization endpoint that signs in one configured person at once,
/// and a token endpoint that checks the code, the redirect and the PKCE verifier. Its id tokens are
/// RS256; its access tokens are the local tokens the test services accept.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "accountability-console-test";

    private readonly WebApplication app;
    private readonly RSA rsa = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, PendingCode> codes = new();

    private TestIdentityProvider(WebApplication app) => this.app = app;

    /// <summary>Who the next sign-in is: the provider asks nobody, it says this person.</summary>
    public (string Subject, string Name, string[] Roles) User { get; set; } = ("p-1014", "Samuel Osei", ["investigator"]);

    public string Authority { get; private set; } = "";

    public int CodesExchanged { get; private set; }

    /// <summary>The id tokens it issued, and every RP-initiated logout it was asked for, in order.</summary>
    public ConcurrentQueue<string> IssuedIdTokens { get; } = new();

    public ConcurrentQueue<EndSessionRequest> EndedSessions { get; } = new();

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var provider = new TestIdentityProvider(builder.Build());
        provider.Map();
        await provider.app.StartAsync();
        provider.Authority = provider.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return provider;
    }

    private RsaSecurityKey SigningKey => new(rsa) { KeyId = "test-key" };

    private void Map()
    {
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Authority,
            ["authorization_endpoint"] = $"{Authority}/authorize",
            ["token_endpoint"] = $"{Authority}/token",
            ["jwks_uri"] = $"{Authority}/jwks",
            ["end_session_endpoint"] = $"{Authority}/end-session",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        app.MapGet("/jwks", () =>
        {
            var key = JsonWebKeyConverter.ConvertFromRSASecurityKey(SigningKey);
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = key.KeyId, n = key.N, e = key.E } } });
        });
        app.MapGet("/authorize", (HttpRequest request) =>
        {
            var q = request.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256")
                return Results.BadRequest("bad authorization request");
            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            codes[code] = new PendingCode(q["redirect_uri"].ToString(), q["nonce"].ToString(), q["code_challenge"].ToString(), User);
            return Results.Redirect(QueryHelpers.AddQueryString(q["redirect_uri"].ToString(), new Dictionary<string, string?> { ["code"] = code, ["state"] = q["state"] }));
        });
        app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            if (!codes.TryRemove(form["code"].ToString(), out var pending) || form["client_id"] != ClientId || form["redirect_uri"] != pending.RedirectUri
                || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != pending.Challenge)
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            CodesExchanged++;
            var (subject, name, roles) = pending.User;
            var claims = new List<Claim> { new("sub", subject), new("name", name), new("nonce", pending.Nonce) };
            claims.AddRange(roles.Select(r => new Claim("role", r)));
            var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Authority,
                Audience = ClientId,
                Subject = new ClaimsIdentity(claims),
                Expires = DateTime.UtcNow.AddMinutes(10),
                SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.RsaSha256),
            });
            IssuedIdTokens.Enqueue(idToken);
            return Results.Json(new { id_token = idToken, access_token = TestTokens.For(subject, roles), token_type = "Bearer", expires_in = 1800 });
        });

        // RP-initiated logout: the provider forgets the person, then sends the browser back where the client asked.
        app.MapGet("/end-session", (HttpRequest request) =>
        {
            var q = request.Query;
            EndedSessions.Enqueue(new EndSessionRequest(q["client_id"].ToString(), q["id_token_hint"].ToString(), q["post_logout_redirect_uri"].ToString()));
            return q["client_id"] == ClientId && Uri.TryCreate(q["post_logout_redirect_uri"], UriKind.Absolute, out var back)
                ? Results.Redirect(back.ToString())
                : Results.BadRequest("bad end-session request");
        });
    }

    public sealed record EndSessionRequest(string ClientId, string IdTokenHint, string PostLogoutRedirectUri);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        rsa.Dispose();
    }

    private sealed record PendingCode(string RedirectUri, string Nonce, string Challenge, (string Subject, string Name, string[] Roles) User);
}
