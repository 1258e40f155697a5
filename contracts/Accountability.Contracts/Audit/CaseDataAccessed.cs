namespace Accountability.Contracts.Audit;

/// <summary>
/// Someone read (or was refused) case data through a service's API. The fields follow CJIS §5.4.1.1:
/// date and time, component, event type, user identity and outcome.
/// </summary>
public sealed record CaseDataAccessed
{
    public required Guid AccessId { get; init; }

    /// <summary>The case read, when the request named one; null for lists and searches.</summary>
    public Guid? CaseId { get; init; }

    /// <summary>The service that served the read: intake, assignment, escalation, notification or audit.</summary>
    public required string Component { get; init; }

    /// <summary>What kind of read, e.g. "case-read", "custody-read", "trail-read".</summary>
    public required string EventType { get; init; }

    /// <summary>The person id from the token, or "anonymous".</summary>
    public required string UserId { get; init; }

    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>The request path, without the query string (which may carry search terms).</summary>
    public required string Resource { get; init; }

    /// <summary>"granted", "denied" (401/403), "not-found" or "failed".</summary>
    public required string Outcome { get; init; }

    public required int StatusCode { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The 32-hex W3C trace id of the request.</summary>
    public string? TraceId { get; init; }
}
