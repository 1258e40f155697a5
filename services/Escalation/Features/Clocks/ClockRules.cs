using Accountability.Contracts.Custody;
using Accountability.Contracts.Escalation;
using Accountability.Contracts.Intake;

namespace Accountability.Escalation.Features.Clocks;

/// <summary>What a case event does to the clocks. Each action carries the event's CaseVersion, and the store applies it only to a clock last changed by an older version.</summary>
public abstract record ClockAction(string Clock, long Version, DateTimeOffset At)
{
    /// <summary>A fresh run: the clock starts over (a new owner's acknowledge clock, a new handoff).</summary>
    public sealed record StartRun(string Clock, long Version, DateTimeOffset At, string OwnerKind, string OwnerId, Guid? HandoffId = null) : ClockAction(Clock, Version, At);

    /// <summary>Starts the clock only if it was never started: clocks that run from receipt.</summary>
    public sealed record StartOnce(string Clock, long Version, DateTimeOffset At) : ClockAction(Clock, Version, At);

    public sealed record Stop(string Clock, long Version, DateTimeOffset At, Guid? HandoffId = null) : ClockAction(Clock, Version, At);

    /// <summary>A stopped clock counts again from where it stopped (the statutory clock after a reopen).</summary>
    public sealed record Restart(string Clock, long Version, DateTimeOffset At) : ClockAction(Clock, Version, At);
}

/// <summary>What escalation learns about a case from one event: facts, owner, status and clock actions.</summary>
public sealed record CaseUpdate(
    Guid CaseId,
    long Version,
    IReadOnlyList<ClockAction> Actions,
    string? Category = null,
    IReadOnlyList<string>? AllegationTypes = null,
    bool? Anonymous = null,
    DateTimeOffset? ReceivedAt = null,
    (string Kind, string Id)? Owner = null,
    int? EscalationLevel = null,
    string? Status = null,
    IReadOnlyList<string>? SubjectBadges = null);

/// <summary>
/// The clock table of ARCHITECTURE §5 as a function of the events. Pure; the versions make it safe
/// under duplicates and reordering, because each clock and the owner only move forward in version.
/// </summary>
public static class ClockRules
{
    /// <summary>Intake's ComplaintReceived is numbered in intake's stream; it only starts clocks that were never started, so it sorts before everything assignment says.</summary>
    public const long ReceiptVersion = 0;

    public static CaseUpdate For(ComplaintReceived e)
    {
        List<ClockAction> actions =
        [
            new ClockAction.StartOnce(SlaClocks.Resolution, ReceiptVersion, e.ReceivedAt),
            // Discovery is receipt: the department cannot be held to a limit before it knew.
            new ClockAction.StartOnce(SlaClocks.Statutory, ReceiptVersion, e.ReceivedAt),
        ];
        if (!e.Anonymous)
            actions.Add(new ClockAction.StartOnce(SlaClocks.FirstContact, ReceiptVersion, e.ReceivedAt));
        return new CaseUpdate(e.CaseId, ReceiptVersion, actions, e.Category, [.. e.Allegations.Select(a => a.Type)], e.Anonymous, e.ReceivedAt,
            SubjectBadges: e.SubjectOfficerBadges);
    }

    /// <summary>CaseOpened carries the category too, so a lost ComplaintReceived still leaves the case with its receipt clocks.</summary>
    public static CaseUpdate For(CaseOpened e) => new(e.CaseId, e.CaseVersion,
        [
            new ClockAction.StartOnce(SlaClocks.Resolution, e.CaseVersion, e.OccurredAt),
            new ClockAction.StartOnce(SlaClocks.Statutory, e.CaseVersion, e.OccurredAt),
        ],
        e.Category, [.. e.Allegations.Select(a => a.Type)], ReceivedAt: e.OccurredAt, SubjectBadges: e.SubjectOfficerBadges);

    /// <summary>An amended allegation moves no clock; it may add a subject officer.</summary>
    public static CaseUpdate For(AllegationAmended e) => new(e.CaseId, e.CaseVersion, [], SubjectBadges: e.SubjectOfficerBadges);

    /// <summary>Every transfer starts the new owner's acknowledge clock afresh; an escalation records its level, any other move resets it.</summary>
    public static CaseUpdate For(CustodyTransferred e) => new(e.CaseId, e.CaseVersion,
        [new ClockAction.StartRun(SlaClocks.Acknowledge, e.CaseVersion, e.OccurredAt, e.ToOwnerKind, e.ToOwnerId)],
        Owner: (e.ToOwnerKind, e.ToOwnerId),
        EscalationLevel: e.TransferKind == "escalated" ? e.EscalationLevel ?? 1 : 0);

    public static CaseUpdate For(CaseAcknowledged e) => new(e.CaseId, e.CaseVersion,
        [new ClockAction.Stop(SlaClocks.Acknowledge, e.CaseVersion, e.OccurredAt)], Owner: (e.OwnerKind, e.OwnerId));

    /// <summary>While a handoff is pending the owner keeps the case and its clocks; the handoff-accept clock is the owner's too.</summary>
    public static CaseUpdate For(HandoffRequested e) => new(e.CaseId, e.CaseVersion,
        [new ClockAction.StartRun(SlaClocks.HandoffAccept, e.CaseVersion, e.OccurredAt, e.FromOwnerKind, e.FromOwnerId, e.HandoffId)],
        Owner: (e.FromOwnerKind, e.FromOwnerId));

    public static CaseUpdate HandoffEnded(Guid caseId, long version, DateTimeOffset at, Guid handoffId) =>
        new(caseId, version, [new ClockAction.Stop(SlaClocks.HandoffAccept, version, at, handoffId)]);

    public static CaseUpdate For(ComplainantContacted e) => new(e.CaseId, e.CaseVersion,
        [new ClockAction.Stop(SlaClocks.FirstContact, e.CaseVersion, e.OccurredAt)], Owner: (e.OwnerKind, e.OwnerId));

    /// <summary>Resolution stops every clock; the owner stays accountable, but nothing is running late any more.</summary>
    public static CaseUpdate For(CaseResolved e) => new(e.CaseId, e.CaseVersion,
        [.. SlaClocks.All.Select(clock => new ClockAction.Stop(clock, e.CaseVersion, e.OccurredAt))],
        Owner: (e.OwnerKind, e.OwnerId), Status: "resolved");

    /// <summary>
    /// A reopened case gets a fresh resolution budget; the statutory limit still runs from discovery,
    /// so it counts on from where resolution stopped it. The owner's acknowledge clock restarts only
    /// when a CustodyTransferred (reopened) follows.
    /// </summary>
    public static CaseUpdate For(CaseReopened e) => new(e.CaseId, e.CaseVersion,
        [
            new ClockAction.StartRun(SlaClocks.Resolution, e.CaseVersion, e.OccurredAt, e.OwnerKind, e.OwnerId),
            new ClockAction.Restart(SlaClocks.Statutory, e.CaseVersion, e.OccurredAt),
        ],
        Owner: (e.OwnerKind, e.OwnerId), Status: "open");
}
