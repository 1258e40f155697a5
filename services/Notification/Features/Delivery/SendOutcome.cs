namespace Accountability.Notification.Features.Delivery;

/// <summary>What one attempt came to. Reasons never contain an address or other contact detail.</summary>
public abstract record SendOutcome(string? Reason)
{
    public sealed record Sent() : SendOutcome((string?)null);

    /// <summary>Worth trying again later: the relay or receiver is down, busy, or said "try later".</summary>
    public sealed record Retry(string Why) : SendOutcome(Why);

    /// <summary>Trying again cannot help until a person changes something (an address, the configuration).</summary>
    public sealed record Failed(string Why) : SendOutcome(Why);

    /// <summary>Nothing to send, on purpose: the complainant is anonymous, opted out, or the person is inactive.</summary>
    public sealed record Skipped(string Why) : SendOutcome(Why);
}
