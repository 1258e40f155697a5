namespace Accountability.Assignment.Features.Custody;

/// <summary>How custody moved; the values of CustodyTransferred.TransferKind and custody.transfer_kind.</summary>
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
