using System.Text.Json;
using Accountability.Assignment.Features.Custody;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Dapper;
using Npgsql;

namespace Accountability.Assignment.Data;

/// <summary>
/// Decide, then act: load a case's events, replay them, ask the pure decider, then append the new
/// events, update the projections and write the outbox rows, all in one transaction. The case row
/// is locked for the duration, so two writers on one case take turns (two competing accepts: one wins).
/// </summary>
public sealed class CaseStore(ServiceDatabase database, DirectoryCache directory, TimeProvider time)
{
    /// <summary>Runs one command on one case in its own transaction.</summary>
    public async Task<Decision> ExecuteAsync(Guid caseId, CustodyCommand command, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var decision = await ExecuteAsync(transaction, caseId, _ => command, cancellationToken);
        if (decision is Decision.Accepted)
            await transaction.CommitAsync(cancellationToken);
        return decision;
    }

    /// <summary>Runs a command chosen from the current state, inside the caller's transaction (e.g. with an inbox row).</summary>
    /// <param name="at">When the command takes effect; defaults to now (a receipt takes effect when it was received).</param>
    public async Task<Decision> ExecuteAsync(
        NpgsqlTransaction transaction, Guid caseId, Func<CaseState, CustodyCommand> choose, CancellationToken cancellationToken,
        DateTimeOffset? at = null)
    {
        await directory.WhenLoaded.WaitAsync(cancellationToken);
        var state = await LoadForUpdateAsync(transaction, caseId, cancellationToken);
        var decision = CustodyDecider.Decide(state, choose(state), directory.View, at ?? time.GetUtcNow());
        if (decision is Decision.Accepted accepted)
            await AppendAsync(transaction, state, accepted.Events, cancellationToken);
        return decision;
    }

    /// <summary>
    /// Runs commands in turn on one load of the case, each decided on the state the one before left, inside the caller's
    /// transaction; it stops at the first refusal. A new complaint is received and routed this way: one row lock and one
    /// read of the case's events instead of two.
    /// </summary>
    public async Task<IReadOnlyList<Decision>> ExecuteInTurnAsync(
        NpgsqlTransaction transaction, Guid caseId, IReadOnlyList<(CustodyCommand Command, DateTimeOffset At)> commands, CancellationToken cancellationToken)
    {
        await directory.WhenLoaded.WaitAsync(cancellationToken);
        var state = await LoadForUpdateAsync(transaction, caseId, cancellationToken);
        var decisions = new List<Decision>(commands.Count);
        var events = new List<object>();
        // Each command is decided on the state the events before it lead to; they are all written at the end, together.
        var decidedOn = state;
        foreach (var (command, at) in commands)
        {
            var decision = CustodyDecider.Decide(decidedOn, command, directory.View, at);
            decisions.Add(decision);
            if (decision is not Decision.Accepted accepted)
                break;
            events.AddRange(accepted.Events);
            decidedOn = accepted.Events.Aggregate(decidedOn, CustodyDecider.Evolve);
        }
        if (events.Count > 0)
            await AppendAsync(transaction, state, events, cancellationToken);
        return decisions;
    }

    public async Task<CaseState> LoadAsync(Guid caseId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return CustodyDecider.Replay(await ReadEventsAsync(connection, null, caseId, cancellationToken));
    }

    private static async Task<CaseState> LoadForUpdateAsync(NpgsqlTransaction transaction, Guid caseId, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        // Serialises writers per case. A case not yet received has no row: the primary key of
        // case_events then decides between two concurrent receipts.
        var firstTrace = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "select first_traceparent from cases where case_id = @caseId for update", new { caseId }, transaction, cancellationToken: cancellationToken));
        LinkToFirstTrace(firstTrace);
        return CustodyDecider.Replay(await ReadEventsAsync(connection, transaction, caseId, cancellationToken));
    }

    /// <summary>A later operation on a case runs in its own trace; the link leads back to the receipt's trace.</summary>
    private static void LinkToFirstTrace(string? firstTraceParent)
    {
        if (System.Diagnostics.Activity.Current is not { } current
            || !System.Diagnostics.ActivityContext.TryParse(firstTraceParent, null, isRemote: true, out var first)
            || first.TraceId == current.TraceId)
            return;
        current.AddLink(new System.Diagnostics.ActivityLink(first));
    }

    private static async Task<IReadOnlyList<object>> ReadEventsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid caseId, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string Type, string Body)>(new CommandDefinition(
            "select type, body::text from case_events where case_id = @caseId order by version",
            new { caseId }, transaction, cancellationToken: cancellationToken));
        return rows.Select(row =>
        {
            var type = OutboxMessage.ResolveType(row.Type)
                ?? throw new InvalidOperationException($"Case {caseId} has an event of unknown type {row.Type}.");
            return JsonSerializer.Deserialize(row.Body, type, OutboxMessage.Json)!;
        }).ToList();
    }

    /// <summary>
    /// Stores the events, updates the projections and enqueues them; returns the state they lead to. The events go
    /// in with one statement, the case row is written once for the state after the last, and the outbox rows go in
    /// with one statement: a receipt and its routing are several events, not several rounds of writes.
    /// </summary>
    private async Task<CaseState> AppendAsync(
        NpgsqlTransaction transaction, CaseState state, IReadOnlyList<object> events, CancellationToken cancellationToken)
    {
        var caseIsNew = events.Any(e => e is Contracts.Custody.CaseOpened);
        foreach (var @event in events)
        {
            state = CustodyDecider.Evolve(state, @event);
            await CaseProjection.ApplyAsync(transaction, @event, caseIsNew, cancellationToken);
        }
        var stamps = events.Select(CaseProjection.VersionAndTime).ToArray();
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            insert into case_events (case_id, version, type, body, occurred_at)
            select @CaseId, e.version, e.type, e.body::jsonb, e.occurred_at
            from unnest(@Versions, @Types, @Bodies, @OccurredAts) as e(version, type, body, occurred_at)
            """,
            new
            {
                CaseId = CaseProjection.CaseIdOf(events[0]),
                Versions = stamps.Select(stamp => stamp.Version).ToArray(),
                Types = events.Select(e => OutboxMessage.TypeName(e.GetType())).ToArray(),
                Bodies = events.Select(e => JsonSerializer.Serialize(e, e.GetType(), OutboxMessage.Json)).ToArray(),
                OccurredAts = stamps.Select(stamp => stamp.OccurredAt).ToArray(),
            },
            transaction, cancellationToken: cancellationToken));
        await CaseProjection.MirrorAsync(transaction, state, events[^1], directory.UnitOf, cancellationToken);
        await OutboxWriter.EnqueueAllAsync(transaction, events, cancellationToken);
        return state;
    }
}
