using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Accountability.ServiceDefaults.Health;

public static class HealthEndpoints
{
    /// <summary>
    /// /health/live: the process is up. /health/ready: every check tagged "ready" passes ("database"
    /// answers and "migrations" are applied, "broker" opens a channel, MassTransit's "receive-endpoints"
    /// run). Degraded counts as not ready.
    /// </summary>
    public static WebApplication MapAccountabilityHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
            ResponseWriter = WriteAsync,
        }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteAsync,
        }).AllowAnonymous();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new { status = entry.Value.Status.ToString(), description = Describe(entry.Value) }),
        }, JsonSerializerOptions.Web);
    }

    /// <summary>
    /// A failed check's exception by its type only: the endpoint is anonymous, and a driver's message can
    /// carry host and user names (the packaged checks put the message in the description).
    /// </summary>
    private static string? Describe(HealthReportEntry entry) =>
        entry.Exception is { } exception ? $"{exception.GetType().Name}" : entry.Description;
}
