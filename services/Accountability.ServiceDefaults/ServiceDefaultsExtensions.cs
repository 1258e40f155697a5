using Accountability.ServiceDefaults.Health;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.Security;
using Accountability.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Accountability.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>The start every service shares: telemetry, problem details, size limits, auth, health.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddSingleton(new ServiceIdentity(serviceName));
        builder.AddAccountabilityTelemetry(serviceName);
        builder.AddAccountabilityProblemDetails();
        builder.AddAccountabilityAuth();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseSecurityHeaders();
        app.UseAccountabilityProblemDetails();
        app.UseAuthentication();
        app.UseCaseAccessLog();
        app.UseDirectoryIdentity();
        app.UseAuthorization();
        app.MapAccountabilityHealth();
        app.MapEndpointList(policy => policy.RequireRole(Roles.Admin));
        return app;
    }
}
