using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Accountability.ServiceDefaults.Http;

public static class ProblemDetailsExtensions
{
    /// <summary>Settings under "Http".</summary>
    public sealed class HttpLimits
    {
        public const string Section = "Http";

        /// <summary>Largest request body accepted. Complaints are text; 256 KiB is generous.</summary>
        public long MaxRequestBodyBytes { get; set; } = 256 * 1024;
    }

    public static WebApplicationBuilder AddAccountabilityProblemDetails(this WebApplicationBuilder builder)
    {
        var limits = builder.Configuration.GetSection(HttpLimits.Section).Get<HttpLimits>() ?? new HttpLimits();
        if (limits.MaxRequestBodyBytes <= 0)
            throw new InvalidOperationException("Http:MaxRequestBodyBytes must be positive.");
        builder.Services.AddSingleton(limits);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes);

        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            if (context.Exception is { } exception && IsOutOfConnections(exception))
            {
                // Saturated, not broken: say so, and when to come back. The request wrote nothing (a read has nothing to write).
                context.ProblemDetails.Title = "Too busy right now";
                var wrote = !HttpMethods.IsGet(context.HttpContext.Request.Method) && !HttpMethods.IsHead(context.HttpContext.Request.Method);
                context.ProblemDetails.Detail = $"{(wrote ? "Nothing was recorded. " : "")}Try again in {BusyRetryAfterSeconds} seconds.";
                context.HttpContext.Response.Headers.RetryAfter = BusyRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return;
            }
            // An unhandled exception never shows its text or stack to the caller; the trace id finds it in the logs.
            if (context.ProblemDetails.Status >= 500)
                context.ProblemDetails.Detail = "An unexpected error occurred. Quote the traceId when reporting it.";
        });
        return builder;
    }

    /// <summary>How long a caller refused for a saturated connection pool is asked to wait.</summary>
    public const int BusyRetryAfterSeconds = 5;

    /// <summary>Npgsql's answer when no pooled connection came free within the connection string's Timeout.</summary>
    public static bool IsOutOfConnections(Exception exception) =>
        exception is Npgsql.NpgsqlException { InnerException: TimeoutException } npgsql
        && npgsql.Message.Contains("connection pool has been exhausted", StringComparison.Ordinal);

    /// <summary>Exception handler, problem+json for bare status codes, and the body size limit.</summary>
    public static WebApplication UseAccountabilityProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A request the framework could not bind (a query value that is not a number, say) is the
            // caller's mistake: answer its 4xx, not a 500, whichever environment is running.
            // A request that waited out the connection pool's timeout found the service saturated: 503 with Retry-After.
            StatusCodeSelector = exception => exception switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                _ when IsOutOfConnections(exception) => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            },
        });
        app.UseStatusCodePages();
        var limits = app.Services.GetRequiredService<HttpLimits>();
        app.Use(async (context, next) =>
        {
            // Kestrel enforces the limit while reading; this answers early, and also under a test host.
            if (context.Request.ContentLength > limits.MaxRequestBodyBytes)
            {
                await Results.Problem(
                    statusCode: StatusCodes.Status413PayloadTooLarge,
                    title: "Request body too large",
                    detail: $"The body may be at most {limits.MaxRequestBodyBytes} bytes.").ExecuteAsync(context);
                return;
            }
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = limits.MaxRequestBodyBytes;
            await next(context);
        });
        return app;
    }
}
