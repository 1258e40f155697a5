using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Accountability.Escalation.Data;
using Accountability.Escalation.Features.EarlyWarning;
using Accountability.Escalation.Features.Timers;
using Accountability.Messaging.Database;
using Microsoft.Extensions.Options;
using MessagingInbox = Accountability.Messaging.Inbox.Inbox;

namespace Accountability.Escalation.Features.Clocks;

/// <summary>
/// A case event off the queue, as the clocks see it: its inbox stream, its message id, its update and the consumer's span;
/// and, for a complaint or an amendment, the message for the early-intervention evaluator (<see cref="EarlyWarningStore.ApplyAllAsync"/>).
/// </summary>
public sealed record PendingCaseUpdate(string InboxName, Guid MessageId, CaseUpdate Update, Activity? Consumer, object? EarlyWarning = null);

/// <summary>
/// Applies case events to the clocks in groups: each consumer hands its event here and waits, and the events that arrive
/// while one group is being written, or while a group waits <c>Escalation:CaseEventsLinger</c> for companions, go together
/// (<see cref="CoalescingWriter{TItem, TResult}"/>). A group is one transaction: one inbox claim, one round trip that
/// creates, locks and updates the cases and reads their clocks, and one that writes every clock, pin and timer
/// (<see cref="CaseClockStore.ApplyAsync"/>). Before, each event was a transaction of its own, of six or seven statements.
/// The complaints and amendments of the group are recorded for the early-intervention evaluator in the same transaction,
/// under the evaluator's own inbox streams: one delivery and one transaction a complaint fewer than on a queue of its own.
/// A group that fails is written again one event at a time, in arrival order, so one bad event fails alone and its
/// neighbours are still applied.
/// </summary>
/// <remarks>
/// A case's receipt and its routing's events arrive together, and share a group: the store applies a case's events in
/// the order they were handed over. Events of a case handed over out of order are harmless: each clock and the owner only
/// move forward by the event's version.
/// </remarks>
public sealed class CaseUpdateWriter
{
    private readonly ServiceDatabase database;
    private readonly CaseClockStore store;
    private readonly EarlyWarningStore earlyWarnings;
    private readonly TimeProvider time;
    private readonly ILogger<CaseUpdateWriter> logger;
    private readonly CoalescingWriter<PendingCaseUpdate, Outcome> writer;

    public CaseUpdateWriter(
        ServiceDatabase database, CaseClockStore store, EarlyWarningStore earlyWarnings, TimeProvider time, IOptions<EscalationOptions> options,
        ILogger<CaseUpdateWriter> logger)
    {
        this.database = database;
        this.store = store;
        this.earlyWarnings = earlyWarnings;
        this.time = time;
        this.logger = logger;
        // A write is not cancelled when the service stops: it commits or fails on its own, and a consumer that stopped
        // waiting for it gets its message again, which the inbox then knows (as routing's groups; docs/bench.md, fifteenth round).
        // A group that holds half the events the queue hands this instance at once (its prefetch) is written without waiting
        // out the linger: under a backlog each group would otherwise wait it out (docs/bench.md, twentieth round), and the
        // other half of the prefetch gathers the next group while this one is written.
        writer = new CoalescingWriter<PendingCaseUpdate, Outcome>(WriteAsync, CancellationToken.None, options.Value.CaseEventsLinger,
            fullAt: Math.Max(1, options.Value.CaseEventsPrefetchCount / 2));
    }

    /// <summary>
    /// Applies the event together with whatever others are waiting. True when a timer it scheduled is already due.
    /// Throws what the event's own write threw; <paramref name="cancellationToken"/> (the consumer's) ends the wait, not the write.
    /// </summary>
    public async Task<bool> ApplyAsync(PendingCaseUpdate pending, CancellationToken cancellationToken)
    {
        var outcome = await writer.WriteAsync(pending).WaitAsync(cancellationToken);
        if (outcome.Failure is { } failure)
            ExceptionDispatchInfo.Throw(failure);
        return outcome.DueNow;
    }

    /// <summary>What became of one event: applied (a timer due now, or not), already processed (not due), or failed.</summary>
    private sealed record Outcome(bool DueNow, Exception? Failure = null);

    private Task<IReadOnlyList<Outcome>> WriteAsync(IReadOnlyList<PendingCaseUpdate> group, CancellationToken cancellationToken) =>
        GroupWrite.TogetherOrOneByOneAsync(group, together => ApplyGroupAsync(together, cancellationToken),
            pending => WriteAloneAsync(pending, cancellationToken), logger, "case events");

    private async Task<Outcome> WriteAloneAsync(PendingCaseUpdate pending, CancellationToken cancellationToken)
    {
        try
        {
            return (await ApplyGroupAsync([pending], cancellationToken))[0];
        }
        catch (Exception exception)
        {
            return new Outcome(false, exception);
        }
    }

    private async Task<IReadOnlyList<Outcome>> ApplyGroupAsync(IReadOnlyList<PendingCaseUpdate> group, CancellationToken cancellationToken)
    {
        // A root of its own (on escalation's one source, the poller's), not a child of whichever consumer happens to write the
        // group; it links to all of them.
        Activity.Current = null;
        using var activity = TimerPoller.Source.StartActivity(ActivityKind.Internal, parentContext: default,
            links: group.Where(p => p.Consumer is not null).Select(p => new ActivityLink(p.Consumer!.Context)), name: "apply case events to clocks");
        activity?.SetTag("accountability.clocks.group_size", group.Count);

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The consumer name includes the message type: one queue, but each type is its own inbox stream. The evaluator's
        // streams are claimed in the same statement.
        var evaluated = group.Where(p => p.EarlyWarning is not null).Select(p => (Name: EarlyWarningStore.InboxNameOf(p.EarlyWarning!), p.MessageId, Message: p.EarlyWarning!))
            .DistinctBy(e => (e.Name, e.MessageId)).ToList();
        var claimed = await MessagingInbox.ClaimAsync(
            transaction, [.. group.Select(p => (p.InboxName, p.MessageId)), .. evaluated.Select(e => (e.Name, e.MessageId))], cancellationToken);
        var fresh = Enumerable.Range(0, group.Count).Where(i => claimed.Contains((group[i].InboxName, group[i].MessageId))).ToList();
        List<object> toEvaluate = [.. evaluated.Where(e => claimed.Contains((e.Name, e.MessageId))).Select(e => e.Message)];
        if (toEvaluate.Count > 0)
            await earlyWarnings.ApplyAllAsync(transaction, toEvaluate, cancellationToken);
        var dueNow = await store.ApplyAsync(transaction, [.. fresh.Select(i => group[i].Update)], time.GetUtcNow(), cancellationToken, commit: true);
        activity?.SetTag("accountability.clocks.applied", fresh.Count);

        var outcomes = new Outcome[group.Count];
        Array.Fill(outcomes, new Outcome(false));
        for (var i = 0; i < fresh.Count; i++)
            outcomes[fresh[i]] = new Outcome(dueNow[i]);
        return outcomes;
    }
}

