using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Accountability.ServiceDefaults.Security;

/// <summary>Which service this process is (intake, assignment, ...), as the access log names the component.</summary>
public sealed record ServiceIdentity(string Name);

/// <summary>Marks an endpoint whose every call, granted or refused, goes to the access log.</summary>
public sealed record CaseAccessMetadata(string EventType);

/// <summary>One read of case data, as the access log records it.</summary>
public sealed record CaseAccess(
    string Component, Guid? CaseId, string EventType, string UserId, IReadOnlyList<string> Roles, string Resource, int StatusCode, DateTimeOffset OccurredAt, string? TraceId)
{
    /// <summary>The case exists but the caller may not know it (need-to-know): answered 404, recorded as denied.</summary>
    public bool Withheld { get; init; }

    public string Outcome => StatusCode switch
    {
        _ when Withheld => CaseAccessOutcomes.Denied,
        401 or 403 => CaseAccessOutcomes.Denied,
        404 => CaseAccessOutcomes.NotFound,
        >= 200 and < 400 => CaseAccessOutcomes.Granted,
        _ => CaseAccessOutcomes.Failed,
    };
}

/// <summary>The outcomes the access log records; pages compare against these, never against a literal of their own.</summary>
public static class CaseAccessOutcomes
{
    public const string Granted = "granted";
    public const string Denied = "denied";
    public const string NotFound = "not-found";
    public const string Failed = "failed";
}

/// <summary>Where access records go; the messaging library sends them to the audit service through the outbox.</summary>
public interface ICaseAccessRecorder
{
    Task RecordAsync(CaseAccess access, CancellationToken cancellationToken);
}

public static class CaseAccessLog
{
    private static readonly object EventTypeKey = new();
    private static readonly object WithheldKey = new();

    /// <summary>Every call of this endpoint is recorded, including refusals (401/403).</summary>
    public static TBuilder RecordsCaseAccess<TBuilder>(this TBuilder builder, string eventType) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new CaseAccessMetadata(eventType));
        return builder;
    }

    /// <summary>
    /// Records this call under a more specific event type than the endpoint's, decided while answering:
    /// e.g. a read that revealed a complainant's contact details, so the log shows who saw personal data.
    /// </summary>
    public static void RecordCaseAccessAs(this HttpContext context, string eventType) => context.Items[EventTypeKey] = eventType;

    /// <summary>
    /// The caller was answered 404 for a case that exists, because they have no need to know it (or are conflicted):
    /// the answer reveals nothing, and the access log still records a refusal.
    /// </summary>
    public static void RecordCaseAccessWithheld(this HttpContext context) => context.Items[WithheldKey] = true;

    /// <summary>Runs after authentication (so the caller is known) and around authorization (so refusals are seen).</summary>
    internal static IApplicationBuilder UseCaseAccessLog(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<CaseAccessMetadata>();
        if (metadata is null || context.RequestServices.GetService<ICaseAccessRecorder>() is not { } recorder)
        {
            await next(context);
            return;
        }

        try
        {
            await next(context);
        }
        finally
        {
            var user = context.User;
            // A case named in the route, or asked about in the query (?caseId=, a probe by id), is the case the record is about.
            var caseId = (context.Request.RouteValues.TryGetValue("caseId", out var raw) || context.Request.RouteValues.TryGetValue("id", out raw))
                         && Guid.TryParse(raw?.ToString(), out var parsed) ? parsed
                : Guid.TryParse(context.Request.Query["caseId"].ToString(), out var asked) ? asked : (Guid?)null;
            var access = new CaseAccess(
                context.RequestServices.GetRequiredService<ServiceIdentity>().Name,
                caseId,
                context.Items.TryGetValue(EventTypeKey, out var specific) && specific is string eventType ? eventType : metadata.EventType,
                user.Identity?.IsAuthenticated == true ? user.FindFirstValue("sub") ?? "unknown" : "anonymous",
                user.FindAll("role").Select(c => c.Value).ToList(),
                context.Request.Path.Value ?? "",
                context.Response.StatusCode,
                DateTimeOffset.UtcNow,
                Activity.Current?.TraceId.ToString())
            {
                Withheld = context.Items.ContainsKey(WithheldKey),
            };
            try
            {
                // Not the request's token: the record must be written even if the caller hung up.
                await recorder.RecordAsync(access, CancellationToken.None);
            }
            catch (Exception exception)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Accountability.AccessLog")
                    .LogError(exception, "Could not record {EventType} by {UserId} on {Resource}", access.EventType, access.UserId, access.Resource);
            }
        }
    });
}
