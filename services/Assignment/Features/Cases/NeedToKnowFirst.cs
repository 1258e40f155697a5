using Accountability.Assignment.Features.Access;

namespace Accountability.Assignment.Features.Cases;

/// <summary>
/// Before a command's body is even read: someone who may not see the case gets the 404 of a case that does not
/// exist. Otherwise a malformed body would be answered 400 for a real case and 404 for a made-up one, and the
/// difference would tell a subject officer that a complaint against him exists (found by the authorization matrix).
/// </summary>
public static class NeedToKnowFirst
{
    /// <summary>The step each command route records a refusal under, as <see cref="CaseCommands.RunAsync"/> names it.</summary>
    private static readonly Dictionary<string, string> StepOfRoute = new(StringComparer.Ordinal)
    {
        ["handoffs"] = "handoff-requested", ["accept"] = "handoff-accepted", ["decline"] = "handoff-declined", ["cancel"] = "handoff-cancelled",
        ["acknowledge"] = "acknowledged", ["contacts"] = "complainant-contacted", ["findings"] = "finding-recorded", ["resolve"] = "resolved",
        ["reopen"] = "reopened", ["reassign"] = "reassigned", ["allegations"] = "allegation-amended",
        ["confidential"] = "marked-confidential", ["lift"] = "confidentiality-lifted",
    };

    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        var queries = services.GetRequiredService<CaseQueries>();
        Guid caseId;
        if (http.Request.RouteValues.TryGetValue("caseId", out var caseValue) && Guid.TryParse(caseValue?.ToString(), out var fromRoute))
            caseId = fromRoute;
        else if (http.Request.RouteValues.TryGetValue("handoffId", out var handoffValue) && Guid.TryParse(handoffValue?.ToString(), out var handoffId))
        {
            if (await queries.CaseOfHandoffAsync(handoffId, http.RequestAborted) is not { } ofHandoff)
                return Results.Problem(statusCode: 404, title: "No such handoff", detail: $"There is no handoff {handoffId}.");
            caseId = ofHandoff;
        }
        else
            return await next(context);

        var reader = services.GetRequiredService<CaseReaders>().For(http.User);
        switch (await queries.VisibilityAsync(caseId, reader, http.RequestAborted))
        {
            case CaseVisibility.Visible:
                return await next(context);
            case CaseVisibility.Withheld:
                var segments = http.Request.Path.Value?.TrimEnd('/').Split('/') ?? [];
                // PUT .../allegations/{allegationId} ends in the allegation's id: its step is the segment before.
                var step = segments.Reverse().Select(segment => StepOfRoute.GetValueOrDefault(segment)).FirstOrDefault(known => known is not null) ?? "command";
                await services.GetRequiredService<CaseCommands>().RecordRefusalAsync(
                    caseId, http.User, step, "not-visible", "The case is not one this person may see (need-to-know).", http.RequestAborted);
                return CaseCommands.NoSuchCase(caseId);
            default:
                return CaseCommands.NoSuchCase(caseId);
        }
    }
}
