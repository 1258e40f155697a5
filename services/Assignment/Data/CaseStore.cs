using System.Text.Json;
using Accountability.Assignment.Features.Custody;
using Accountability.Messaging.Bus;
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
public sealed class CaseStore(ServiceDatabase database, DirectoryCache directory, TimeProvider time, Microsoft.Extensions.Options.IOptions<CustodyEventsOptions> publishing)
{
    /// <summary>What goes into the outbox for these events: each case's in one envelope, or each event alone (<see cref="CustodyEventsOptions"/>).</summary>
    private IReadOnlyList<(object Message, System.Diagnostics.Activity? Producer)> Outgoing(IReadOnlyList<(object Message, System.Diagnostics.Activity? Producer)> events) =>
        publishing.Value.EventsInOneMessage ? CaseEventsEnvelope.Pack(events) : events;

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
    /// The statements that open cases together, whatever their number: their rows and intervals, their events, and one
    /// outbox row for each case, its events in one envelope with its producer's trace. Inside the caller's transaction; a
    /// case that already exists fails it. Only a receipt's and a routing's events; any other is refused before anything is sent.
    /// </summary>
    public IReadOnlyList<NpgsqlBatchCommand> OpenStatements(IReadOnlyList<OpenedCase> opened)
    {
        if (opened.Count == 0)
            return [];
        if (opened.SelectMany(c => c.Events).FirstOrDefault(e => !CaseProjection.IsOpeningEvent(e)) is { } other)
            throw new InvalidOperationException($"Opening cases together writes a receipt's and a routing's events, not {other.GetType().Name}.");
        var events = opened.SelectMany(c => c.Events.Select(e => (Message: e, c.Producer))).ToList();
        return
        [
            .. CaseProjection.InsertOpenedStatements([.. opened.Select(c => (c.After, (Contracts.Custody.CaseOpened)c.Events[0], c.Producer?.Id))], directory.UnitOf),
            BatchStatements.Of(InsertEventsSql, InsertEventsParameters([.. events.Select(e => e.Message)])),
            OutboxWriter.InsertAllStatement(OutboxWriter.RowsFor(Outgoing(events))),
        ];
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

    /// <summary>Appends events, of one case or several, in one statement.</summary>
    private static Task InsertEventsAsync(NpgsqlTransaction transaction, IReadOnlyList<object> events, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(InsertEventsSql, InsertEventsParameters(events), transaction, cancellationToken: cancellationToken));

    private const string InsertEventsSql =
        """
        insert into case_events (case_id, version, type, body, occurred_at)
        select * from unnest(@CaseIds, @Versions, @Types, @Bodies::jsonb[], @OccurredAts)
        """;

    private static object InsertEventsParameters(IReadOnlyList<object> events)
    {
        var stamps = events.Select(CaseProjection.VersionAndTime).ToArray();
        return new
        {
            CaseIds = events.Select(CaseProjection.CaseIdOf).ToArray(),
            Versions = stamps.Select(stamp => stamp.Version).ToArray(),
            Types = events.Select(e => OutboxMessage.TypeName(e.GetType())).ToArray(),
            Bodies = events.Select(e => JsonSerializer.Serialize(e, e.GetType(), OutboxMessage.Json)).ToArray(),
            OccurredAts = stamps.Select(stamp => stamp.OccurredAt).ToArray(),
        };
    }

    /// <summary>
    /// Stores the events of a case already open, updates the projections and enqueues them; returns the state they lead to.
    /// The events go in with one statement, the case row is written once for the state after the last, and the events go
    /// out in one message (<see cref="CaseEventsEnvelope"/>): a handoff's several events are not several rounds of writes.
    /// </summary>
    private async Task<CaseState> AppendAsync(
        NpgsqlTransaction transaction, CaseState state, IReadOnlyList<object> events, CancellationToken cancellationToken)
    {
        foreach (var @event in events)
        {
            state = CustodyDecider.Evolve(state, @event);
            await CaseProjection.ApplyAsync(transaction, @event, cancellationToken);
        }
        await InsertEventsAsync(transaction, events, cancellationToken);
        await CaseProjection.MirrorAsync(transaction, state, events[^1], directory.UnitOf, cancellationToken);
        var producer = System.Diagnostics.Activity.Current;
        await OutboxWriter.EnqueueAllAsync(transaction, Outgoing([.. events.Select(e => (e, producer))]), cancellationToken);
        return state;
    }
}

/// <summary>A case opened in a group (<see cref="CaseStore.OpenStatements"/>): its state after its events, and whose work it was.</summary>
public sealed record OpenedCase(CaseState After, IReadOnlyList<object> Events, System.Diagnostics.Activity? Producer);
