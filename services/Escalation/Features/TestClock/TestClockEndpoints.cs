using System.Xml;
using Accountability.Escalation.Features.Timers;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Escalation.Features.TestClock;

public sealed record AdvanceRequest(string? By);

/// <summary>
/// GET and POST /api/test-clock: read and move the manual clock. Mapped only when Escalation:Clock is
/// "manual", so a deployment has no such endpoint at all; admins only even then.
/// </summary>
public static class TestClockEndpoints
{
    public static IEndpointRouteBuilder MapTestClock(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/test-clock", (ManualTimeProvider clock) => Results.Ok(new { now = clock.GetUtcNow() }))
            .RequireAuthorization(Roles.Admin);

        app.MapPost("/api/test-clock/advance", async (HttpRequest request, ManualTimeProvider clock, TimerWakeUp wakeUp, CancellationToken ct) =>
        {
            var body = await JsonRequestBody.ReadAsync<AdvanceRequest>(request, cancellationToken: ct);
            if (!body.IsValid)
                return body.Problem!;
            TimeSpan by;
            try
            {
                by = XmlConvert.ToTimeSpan(body.Value!.By ?? "");
            }
            catch (FormatException)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["by"] = ["An ISO 8601 duration such as PT2H or P3D."] });
            }
            if (by < TimeSpan.Zero)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["by"] = ["The clock only moves forward."] });
            var now = clock.Advance(by);
            wakeUp.Wake();
            return Results.Ok(new { now });
        }).RequireAuthorization(Roles.Admin);
        return app;
    }
}
