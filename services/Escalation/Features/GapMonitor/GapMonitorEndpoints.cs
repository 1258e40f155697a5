using Accountability.ServiceDefaults.Security;

namespace Accountability.Escalation.Features.GapMonitor;

public static class GapMonitorEndpoints
{
    // Dispatchers too: the dispatch board shows how many open cases have no owner who can act.
    private static readonly string[] Readers = [Roles.Admin, Roles.Supervisor, Roles.Commander, Roles.Auditor, Roles.Dispatcher];

    /// <summary>GET /api/gap-monitor: the last sweep, the same numbers the gauges export. 404 before the first sweep finished.</summary>
    public static IEndpointRouteBuilder MapGapMonitor(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/gap-monitor", (GapMetrics metrics) => metrics.Last is { } report
                ? Results.Ok(new { report.SweptAt, report.OpenCases, report.Unowned, report.Overdue, report.Findings, report.Error, report.Escalates, metrics.Sweeps })
                : Results.Problem(statusCode: 404, title: "No sweep yet", detail: "The gap monitor has not finished a sweep since this instance started."))
            .RequireAuthorization(policy => policy.RequireRole(Readers));
        return app;
    }
}
