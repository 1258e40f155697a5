using System.Runtime.CompilerServices;
using Accountability.Notification.Data;
using Accountability.Notification.Features.Recipients;
using Accountability.Notification.Features.Templates;
using Npgsql;

namespace Accountability.Notification.Features.Planning;

/// <summary>
/// Turns "tell this person about that" into pending deliveries, inside the consumer's transaction.
/// Nothing is sent here: the dispatcher sends after the commit, so a rolled-back or repeated
/// consumer never sends anything, and a slow relay never holds a message.
/// </summary>
public sealed class Notifier(DirectoryCopy directory)
{
    /// <summary>
    /// Tells the complainant, unless they are anonymous, or opted out of this kind of news. Both are looked at by the statement
    /// that records the transaction's deliveries (<see cref="DeliveryStore.RecordStatement"/>), after the case the transaction
    /// keeps (<see cref="KeepCase"/>), so planning reads nothing. A case not seen yet (its ComplaintReceived is still on its way)
    /// is recorded anyway, to wait for it: the filing's arrival makes it due, and the dispatcher then honours anonymity and
    /// opt-out itself. Due at once, it was claimed, found no case and retried a second or two later: an attempt wasted on a
    /// quarter of routing's news under load.
    /// </summary>
    public Task ToComplainantAsync(
        NpgsqlTransaction transaction, Guid caseId, string template, string sourceKey,
        IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken) =>
        RecordAsync(transaction,
            [new PlannedDelivery(sourceKey, Triggers.Roles.Complainant, null, Channels.Email, template, caseId, parameters)], cancellationToken);

    /// <summary>
    /// Keeps a new case (<see cref="CaseStore.AddStatement"/>): written at the transaction's end, before its deliveries, in one
    /// statement with the other cases planned in it, instead of a round trip of its own for each filing.
    /// </summary>
    public void KeepCase(NpgsqlTransaction transaction, CaseStore.NewCase filed) => PlanOf(transaction).Cases.Add(filed);

    /// <summary>Records the unit a case was routed to, at the transaction's end with the others (<see cref="CaseStore.SetUnitsStatement"/>).</summary>
    public void KeepUnit(NpgsqlTransaction transaction, Guid caseId, string unitId) => PlanOf(transaction).Units[caseId] = unitId;

    /// <summary>
    /// Tells a member of staff on each channel they have and want; <paramref name="caseId"/> is null for news about no one case (an early warning).
    /// <paramref name="chart"/> is the directory the caller read in this transaction (<see cref="ChartAsync"/>): one read serves both.
    /// Every channel the directory gives them is planned as one choice; the statement that records the transaction's
    /// deliveries keeps the ones they prefer (<see cref="DeliveryStore.RecordStatement"/>), so their preference costs no
    /// round trip of its own.
    /// </summary>
    public Task ToStaffAsync(
        NpgsqlTransaction transaction, OrgChartView? chart, string personId, Guid? caseId, string template, string sourceKey,
        IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken, string? recipientRole = null)
    {
        var trigger = Triggers.Get(template);
        var channels = RecipientChannels.Available(chart?.Person(personId));
        return RecordAsync(transaction,
            [.. channels.Select(channel => new PlannedDelivery(sourceKey, recipientRole ?? trigger.RecipientRole, personId, channel, template, caseId, parameters))],
            cancellationToken, isChoice: true);
    }

    /// <summary>
    /// The directory copy as of this transaction; null before the first DirectoryPublished. Read once per transaction: a
    /// group of messages planned together (<see cref="NotifyingInbox"/>) is planned against one version of the directory,
    /// with one read instead of one per message.
    /// </summary>
    public async Task<OrgChartView?> ChartAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        if (chartsByConnection.TryGetValue(connection, out var read))
            return read.Value;
        var chart = await directory.CurrentAsync(connection, transaction, cancellationToken);
        chartsByConnection.AddOrUpdate(connection, new StrongBox<OrgChartView?>(chart));
        return chart;
    }

    // Keyed by the connection, not the transaction: Npgsql may hand the same transaction object to the next transaction on
    // a pooled connection, while the inboxes open a connection object of their own for each transaction. Weak keys: an
    // entry goes with its connection object.
    private readonly ConditionalWeakTable<NpgsqlConnection, StrongBox<OrgChartView?>> chartsByConnection = [];

    /// <summary>
    /// Starts keeping the deliveries planned in <paramref name="transaction"/> for <see cref="TakePlanned"/>; the
    /// <see cref="NotifyingInbox"/> calls it before each message's work. Planning anywhere else fails, so nothing planned
    /// can wait for a record that never comes.
    /// </summary>
    public void BeginPlanning(NpgsqlTransaction transaction) =>
        plannedByConnection.GetValue(transaction.Connection!, _ => new Plan());

    /// <summary>
    /// The statements that write what the transaction's messages planned, all at once and in this order: the turn of each case
    /// whose filing or complainant's news is planned (<see cref="CaseStore.TakeTurnsStatement"/>), the cases they keep, the
    /// units they record, the deliveries they plan (empty when they planned nothing). The inbox asks for them once and
    /// sends them with the COMMIT, so a group of messages is planned in the claim's round trip and the commit's, whatever its
    /// size (docs/bench.md, twenty-seventh round). A delivery recorded before (a message planned again) is left as it is.
    /// </summary>
    public IReadOnlyList<NpgsqlBatchCommand> TakePlanned(NpgsqlConnection connection)
    {
        if (!plannedByConnection.TryGetValue(connection, out var plan))
            return [];
        plannedByConnection.Remove(connection);
        List<NpgsqlBatchCommand> statements = [];
        Guid[] turns = [.. plan.Cases.Select(c => c.CaseId),
            .. plan.Deliveries.Where(d => d.Delivery.RecipientRole == Triggers.Roles.Complainant).Select(d => d.Delivery.CaseId).OfType<Guid>()];
        if (turns.Length > 0)
            statements.Add(CaseStore.TakeTurnsStatement(turns));
        if (plan.Cases.Count > 0)
            statements.Add(CaseStore.AddStatement(plan.Cases));
        if (plan.Units.Count > 0)
            statements.Add(CaseStore.SetUnitsStatement(plan.Units));
        if (plan.Deliveries.Count > 0)
            statements.Add(DeliveryStore.RecordStatement(plan.Deliveries));
        return statements;
    }

    /// <summary>What one transaction's messages planned, kept for its end.</summary>
    private sealed class Plan
    {
        public List<CaseStore.NewCase> Cases { get; } = [];

        public Dictionary<Guid, string> Units { get; } = [];

        public List<DeliveryStore.Planned> Deliveries { get; } = [];
    }

    // Kept per connection object, as the directory read above: the inboxes open one for each transaction.
    private readonly ConditionalWeakTable<NpgsqlConnection, Plan> plannedByConnection = [];

    private Plan PlanOf(NpgsqlTransaction transaction) =>
        plannedByConnection.TryGetValue(transaction.Connection!, out var plan)
            ? plan
            : throw new InvalidOperationException("Planning happens only inside NotifyingInbox, which writes the plan before its commit.");

    /// <param name="isChoice">The deliveries are one person's channels, of which the record keeps the preferred ones.</param>
    private Task RecordAsync(NpgsqlTransaction transaction, IReadOnlyList<PlannedDelivery> deliveries, CancellationToken cancellationToken, bool isChoice = false)
    {
        var planned = PlanOf(transaction).Deliveries;
        // The consumer's trace, so the send later continues the trace that started at receipt.
        var traceparent = System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } activity ? activity.Id : null;
        // A choice is named by where its first delivery stands in the list: unique in the transaction.
        int? choice = isChoice ? planned.Count : null;
        planned.AddRange(deliveries.Select(d => new DeliveryStore.Planned(d, traceparent, choice)));
        return Task.CompletedTask;
    }
}
