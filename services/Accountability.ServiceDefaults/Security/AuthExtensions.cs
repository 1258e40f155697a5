using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Accountability.ServiceDefaults.Security;

public static class AuthExtensions
{
    /// <summary>
    /// JWT bearer authentication with one policy per role. Claims keep their JWT names
    /// ("sub", "role"): the subject is a person id from the org directory.
    /// </summary>
    public static WebApplicationBuilder AddAccountabilityAuth(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        builder.Services.AddSingleton(options);

        builder.Services
            .AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidateAudience = true,
                    ValidAudience = options.Audience,
                    ValidateLifetime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = "sub",
                    RoleClaimType = "role",
                };
                if (!string.IsNullOrWhiteSpace(options.Authority))
                {
                    jwt.Authority = options.Authority;
                    jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
                }
                else
                {
                    jwt.TokenValidationParameters.ValidIssuer = options.Issuer;
                    jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(options.SigningKeyBytes());
                    jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                }
            });

        builder.Services.AddAuthorization(authorization =>
        {
            foreach (var role in Roles.All)
                authorization.AddPolicy(role, policy => policy.RequireAuthenticatedUser().RequireRole(role));
        });
        return builder;
    }

    /// <summary>The person id of the caller (the token's subject).</summary>
    public static string PersonId(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("The token has no subject.");

    public static bool HasAnyRole(this ClaimsPrincipal user, params string[] roles) => roles.Any(user.IsInRole);
}
