using System.Diagnostics;
using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Database;
using Npgsql;
using MessagingInbox = Accountability.Messaging.Inbox.Inbox;

namespace Accountability.Assignment.Features.Routing;

/// <summary>A new complaint off the queue, with its message id and the consumer's span (its case's first trace).</summary>
public sealed record NewComplaint(Guid MessageId, ComplaintReceived Complaint, Activity? Consumer);

/// <summary>What became of a new complaint.</summary>
public abstract record RoutingOutcome
{
    private RoutingOutcome()
    {
    }

    /// <summary>Opened, and owned by the unit or person chosen.</summary>
    public sealed record Routed(RoutingChoice Choice) : RoutingOutcome;

    /// <summary>Opened, and the intake desk keeps it (still owned): the gap monitor flags it for a person to route.</summary>
    public sealed record KeptByIntakeDesk(string Why) : RoutingOutcome;

    /// <summary>Not opened: the case exists already, or the receipt was refused. Nothing was written but the inbox row.</summary>
    public sealed record NotOpened(Refusal Refusal) : RoutingOutcome;

    /// <summary>This message was processed before.</summary>
    public sealed record AlreadyProcessed : RoutingOutcome;

    /// <summary>Nothing was written; the consumer's retries take it from here.</summary>
    public sealed record Failed(Exception Exception) : RoutingOutcome;
}

/// <summary>
/// Opens and routes new complaints in groups: the consumers hand their complaint here and wait, and the complaints that
/// arrive while one group is being written go together in the next (<see cref="CoalescingWriter{TItem, TResult}"/>). A group is
/// one transaction: one inbox claim, one look at which cases exist, one workload query, and one insert each for case events,
/// case rows, custody intervals and outbox rows. Each choice is counted before the next is made, so complaints routed together
/// do not all go to the same least-loaded investigator. A group that fails is written again one complaint at a time, so one
/// bad complaint fails alone and its neighbours are still routed.
/// </summary>
public sealed class ComplaintRouter
{
    /// <summary>The inbox's name for a new complaint: the consumer's, as before complaints were routed in groups.</summary>
    public const string InboxName = nameof(Consumers.ComplaintReceivedConsumer);

    /// <summary>A group's write is a span of its own, linked to the consumer span of every complaint in it.</summary>
    public static readonly ActivitySource Source = new("Accountability.Assignment");

    private readonly ServiceDatabase database;
    private readonly CaseStore cases;
    private readonly DirectoryCache directory;
    private readonly TimeProvider time;
    private readonly ILogger<ComplaintRouter> logger;
    private readonly CoalescingWriter<NewComplaint, RoutingOutcome> writer;

    public ComplaintRouter(ServiceDatabase database, CaseStore cases, DirectoryCache directory, TimeProvider time, ILogger<ComplaintRouter> logger)
    {
        this.database = database;
        this.cases = cases;
        this.directory = directory;
        this.time = time;
        this.logger = logger;
        // A write is not cancelled when the service stops: it commits or fails on its own, and a consumer that stopped waiting
        // for it gets its message again, which the inbox then knows. Cancelled by the stopping host instead, a group failed
        // for every consumer in it at once, and their retries sent them all to the error queue (make chaos: 64 healthy complaints).
        writer = new CoalescingWriter<NewComplaint, RoutingOutcome>(WriteAsync, CancellationToken.None);
    }

    /// <summary>
    /// Opens and routes the complaint together with whatever others are waiting; returns what became of it.
    /// <paramref name="cancellationToken"/> (the consumer's) ends the wait, not the write.
    /// </summary>
    public Task<RoutingOutcome> RouteAsync(NewComplaint complaint, CancellationToken cancellationToken) =>
        writer.WriteAsync(complaint).WaitAsync(cancellationToken);

    private Task<IReadOnlyList<RoutingOutcome>> WriteAsync(IReadOnlyList<NewComplaint> group, CancellationToken cancellationToken) =>
        GroupWrite.TogetherOrOneByOneAsync(group, together => OpenAndRouteAsync(together, cancellationToken),
            complaint => WriteAloneAsync(complaint, cancellationToken), logger, "complaints");

    private async Task<RoutingOutcome> WriteAloneAsync(NewComplaint complaint, CancellationToken cancellationToken)
    {
        try
        {
            return (await OpenAndRouteAsync([complaint], cancellationToken))[0];
        }
        catch (Exception exception)
        {
            return new RoutingOutcome.Failed(exception);
        }
    }

    private async Task<IReadOnlyList<RoutingOutcome>> OpenAndRouteAsync(IReadOnlyList<NewComplaint> group, CancellationToken cancellationToken)
    {
        // A root of its own, not a child of whichever consumer happens to write the group; it links to all of them.
        Activity.Current = null;
        using var activity = Source.StartActivity(ActivityKind.Internal, parentContext: default,
            links: group.Where(c => c.Consumer is not null).Select(c => new ActivityLink(c.Consumer!.Context)), name: "route complaints");
        activity?.SetTag("accountability.routing.group_size", group.Count);
        await directory.WhenLoaded.WaitAsync(cancellationToken);
        var chart = directory.Chart;
        var view = directory.View;

        // Everyone any complaint of the group could go to, counted once for the whole group.
        var units = group.Select(c => chart.Route(c.Complaint.Category, c.Complaint.District) ?? chart.IntakeDeskUnitId).Distinct();
        string[] candidates = [.. units.SelectMany(unit => RoutingPolicy.Candidates(chart, unit)).Distinct()];

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The claim and both reads in one round trip (each round trip wakes the server and this process once more). The
        // reads cover the whole group; what they say of a complaint not claimed now is not used.
        IReadOnlySet<Guid> claimed;
        HashSet<Guid> existing;
        Dictionary<string, int> openCases;
        await using (var reads = new NpgsqlBatch(connection, transaction))
        {
            reads.BatchCommands.Add(MessagingInbox.ClaimStatement(InboxName, [.. group.Select(c => c.MessageId)]));
            reads.BatchCommands.Add(BatchStatements.Of(
                "select case_id from cases where case_id = any(@ids)", new { ids = group.Select(c => c.Complaint.CaseId).Distinct().ToArray() }));
            reads.BatchCommands.Add(BatchStatements.Of(
                // Kept by cases' triggers (migration 0013): one row a candidate, however many cases are open.
                "select owner_id, open_cases from open_case_counts where owner_kind = 'person' and owner_id = any(@candidates)",
                new { candidates }));
            await using var reader = await reads.ExecuteReaderAsync(cancellationToken);
            claimed = await ReadAllAsync(reader, r => r.GetGuid(0), cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            existing = await ReadAllAsync(reader, r => r.GetGuid(0), cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            // The open cases each candidate holds. New cases are not anyone's yet, so the counts stand until a choice is made.
            openCases = (await ReadAllAsync(reader, r => (OwnerId: r.GetString(0), Open: r.GetInt32(1)), cancellationToken)).ToDictionary(r => r.OwnerId, r => r.Open);
        }
        var fresh = group.Where(c => claimed.Contains(c.MessageId)).DistinctBy(c => c.MessageId).ToList();

        var outcomes = new Dictionary<Guid, RoutingOutcome>();
        var opened = new List<OpenedCase>();
        foreach (var item in fresh)
        {
            var complaint = item.Complaint;
            if (!existing.Add(complaint.CaseId))
            {
                outcomes[item.MessageId] = new RoutingOutcome.NotOpened(new Refusal(RefusalCodes.AlreadyReceived, $"Case {complaint.CaseId} was already received."));
                continue;
            }
            var receipt = CustodyDecider.Decide(CaseState.NotReceived, ReceiveOf(complaint), view, complaint.ReceivedAt);
            if (receipt is Decision.Refused refused)
            {
                outcomes[item.MessageId] = new RoutingOutcome.NotOpened(refused.Refusal);
                continue;
            }
            var events = new List<object>(((Decision.Accepted)receipt).Events);
            var state = events.Aggregate(CaseState.NotReceived, CustodyDecider.Evolve);
            var choice = RoutingPolicy.Choose(chart, complaint.Category, complaint.District, complaint.SubjectOfficerBadges, openCases);
            switch (choice is null ? null : CustodyDecider.Decide(state, RouteOf(choice), view, RoutedAt(complaint)))
            {
                case null:
                    outcomes[item.MessageId] = new RoutingOutcome.KeptByIntakeDesk("everyone who could hold it is conflicted");
                    break;
                case Decision.Refused routeRefused:
                    outcomes[item.MessageId] = new RoutingOutcome.KeptByIntakeDesk($"routing refused ({routeRefused.Refusal.Code}) {routeRefused.Refusal.Reason}");
                    break;
                case Decision.Accepted routed:
                    events.AddRange(routed.Events);
                    state = routed.Events.Aggregate(state, CustodyDecider.Evolve);
                    // The next choice in this group counts this one.
                    if (choice!.PersonId is { } personId)
                        openCases[personId] = openCases.GetValueOrDefault(personId) + 1;
                    outcomes[item.MessageId] = new RoutingOutcome.Routed(choice);
                    break;
            }
            opened.Add(new OpenedCase(state, events, item.Consumer));
        }
        // The writes and the COMMIT in one round trip: if a write fails, PostgreSQL skips the COMMIT and the transaction is rolled back.
        await using (var write = new NpgsqlBatch(connection))
        {
            foreach (var statement in cases.OpenStatements(opened))
                write.BatchCommands.Add(statement);
            write.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
        activity?.SetTag("accountability.routing.opened", opened.Count);
        return [.. group.Select(c => claimed.Contains(c.MessageId) && outcomes.TryGetValue(c.MessageId, out var outcome) ? outcome : new RoutingOutcome.AlreadyProcessed())];
    }

    private static CustodyCommand.Receive ReceiveOf(ComplaintReceived complaint) => new(
        complaint.CaseId,
        complaint.IntakeDeskUnitId,
        complaint.SubjectOfficerBadges,
        [.. complaint.Allegations.Select(a => new CaseAllegation { Id = a.AllegationId.ToString(), Type = a.Type, OfficerBadge = a.OfficerBadge, OfficerDescription = a.OfficerDescription })],
        complaint.Category,
        complaint.District,
        "system:intake",
        complaint.CaseNumber);

    private static CustodyCommand.Route RouteOf(RoutingChoice choice) =>
        new(choice.UnitId, choice.PersonId, choice.Reason, CustodyDecider.RouterActor);

    /// <summary>A receipt stamped by a clock ahead of ours must not make routing look like time ran backwards.</summary>
    private DateTimeOffset RoutedAt(ComplaintReceived complaint)
    {
        var now = time.GetUtcNow();
        return now < complaint.ReceivedAt ? complaint.ReceivedAt : now;
    }

    private static async Task<HashSet<T>> ReadAllAsync<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> row, CancellationToken cancellationToken)
    {
        var rows = new HashSet<T>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(row(reader));
        return rows;
    }
}
