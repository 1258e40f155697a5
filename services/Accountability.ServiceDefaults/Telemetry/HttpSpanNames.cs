using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Accountability.ServiceDefaults.Telemetry;

/// <summary>
/// ASP.NET Core's request span is named after its event ("Microsoft.AspNetCore.Hosting.HttpRequestIn")
/// and carries no HTTP attributes unless the instrumentation package is present, which the registry
/// here does not serve. This names it "POST /api/complaints" and adds the semantic-convention tags.
/// </summary>
public static class HttpSpanNames
{
    public static IApplicationBuilder UseHttpSpanNames(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var activity = Activity.Current;
        try
        {
            await next(context);
        }
        finally
        {
            if (activity is { Kind: ActivityKind.Server })
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                activity.DisplayName = $"{context.Request.Method} {route ?? context.Request.Path.Value}";
                activity.SetTag("http.request.method", context.Request.Method);
                activity.SetTag("http.route", route);
                activity.SetTag("url.path", context.Request.Path.Value);
                activity.SetTag("http.response.status_code", context.Response.StatusCode);
            }
        }
    });
}
