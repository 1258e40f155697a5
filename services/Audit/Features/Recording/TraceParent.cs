using System.Diagnostics;
using System.Text.RegularExpressions;
using MassTransit;

namespace Accountability.Audit.Features.Recording;

/// <summary>The W3C traceparent of the work that produced a message, as the consumer sees it.</summary>
public static partial class TraceParent
{
    /// <summary>
    /// MassTransit carries the publisher's span in the MT-Activity-Id header; a plain "traceparent"
    /// header (other producers) is honoured first; failing both, the consume span's parent is the publisher.
    /// </summary>
    public static string? Of(ConsumeContext context)
    {
        foreach (var header in new[] { "traceparent", MassTransit.Logging.DiagnosticHeaders.ActivityId })
            if (context.Headers.Get<string>(header) is { } value && IsW3C(value))
                return value;
        return Activity.Current?.ParentId is { } parent && IsW3C(parent) ? parent : null;
    }

    public static bool IsW3C(string value) => Pattern().IsMatch(value);

    /// <summary>The 32-hex trace id inside a traceparent.</summary>
    public static string? TraceId(string? traceParent) =>
        traceParent is not null && IsW3C(traceParent) ? traceParent.Substring(3, 32) : null;

    [GeneratedRegex("^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")]
    private static partial Regex Pattern();
}
