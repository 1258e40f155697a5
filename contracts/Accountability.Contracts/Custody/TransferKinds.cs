namespace Accountability.Contracts.Custody;

/// <summary>
/// How custody moved: the values of <see cref="CustodyTransferred.TransferKind"/> (and assignment's custody.transfer_kind).
/// The kind is also the message's routing key, so a consumer can be bound to only the kinds it acts on.
/// </summary>
public static class TransferKinds
{
    public const string Received = "received";
    public const string Routed = "routed";
    public const string Handoff = "handoff";
    public const string Escalated = "escalated";
    public const string Reassigned = "reassigned";
    public const string Reopened = "reopened";

    public static IReadOnlyList<string> All { get; } = [Received, Routed, Handoff, Escalated, Reassigned, Reopened];
}
