using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Accountability.ServiceDefaults.Security;

public static class AuthExtensions
{
    /// <summary>Access tokens from the deployment's OpenID provider (Auth:Authority), checked against its published keys.</summary>
    public const string ProviderScheme = "provider";

    /// <summary>Tokens signed with the local key (Auth:SigningKey, HS256): `make up`, `make token`, tests, and the services' own calls.</summary>
    public const string LocalScheme = "local";

    /// <summary>
    /// JWT bearer authentication with one policy per role. Claims keep their JWT names
    /// ("sub", "role"): the subject is a person id from the org directory.
    /// Two kinds of token, each checked by a handler of its own and chosen by the token's issuer:
    /// the provider's (when Auth:Authority is set) and the local ones (when Auth:SigningKey is set).
    /// Both must carry the audience Auth:Audience.
    /// </summary>
    public static WebApplicationBuilder AddAccountabilityAuth(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        options.Validate();
        builder.Services.AddSingleton(options);

        var authentication = builder.Services
            .AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddPolicyScheme(JwtBearerDefaults.AuthenticationScheme, "Bearer token", policy =>
                policy.ForwardDefaultSelector = context => SchemeFor(context, options));
        if (options.HasProvider)
            authentication.AddJwtBearer(ProviderScheme, jwt =>
            {
                jwt.Authority = options.Authority;
                jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
                jwt.MapInboundClaims = false;
                jwt.BackchannelTimeout = TimeSpan.FromSeconds(15);
                // The issuer and signing keys come from the provider's discovery document.
                jwt.TokenValidationParameters = Common(options);
            });
        if (options.HasLocalKey)
            authentication.AddJwtBearer(LocalScheme, jwt =>
            {
                jwt.MapInboundClaims = false;
                var parameters = Common(options);
                parameters.ValidIssuer = options.Issuer;
                parameters.IssuerSigningKey = new SymmetricSecurityKey(options.SigningKeyBytes());
                parameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                jwt.TokenValidationParameters = parameters;
            });

        builder.Services.AddAuthorization(authorization =>
        {
            foreach (var role in Roles.All)
                authorization.AddPolicy(role, policy => policy.RequireAuthenticatedUser().RequireRole(role));
        });
        return builder;
    }

    private static TokenValidationParameters Common(AuthOptions options) => new()
    {
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidAudience = options.Audience,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = "sub",
        RoleClaimType = "role",
    };

    /// <summary>
    /// The local handler for a token whose (not yet trusted) issuer is the local one, the provider's for any
    /// other: the chosen handler then checks everything, so a wrong guess only means a refusal.
    /// </summary>
    private static string SchemeFor(HttpContext context, AuthOptions options)
    {
        if (!options.HasProvider)
            return LocalScheme;
        if (!options.HasLocalKey)
            return ProviderScheme;
        var header = context.Request.Headers[HeaderNames.Authorization].ToString();
        const string prefix = "Bearer ";
        if (header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            var token = header[prefix.Length..].Trim();
            var handler = new JsonWebTokenHandler();
            if (handler.CanReadToken(token) && handler.ReadJsonWebToken(token).Issuer == options.Issuer)
                return LocalScheme;
        }
        return ProviderScheme;
    }

    /// <summary>The person id of the caller (the token's subject).</summary>
    public static string PersonId(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("The token has no subject.");

    public static bool HasAnyRole(this ClaimsPrincipal user, params string[] roles) => roles.Any(user.IsInRole);
}
