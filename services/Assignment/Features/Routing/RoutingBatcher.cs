using System.Diagnostics;
using System.Threading.Channels;
using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Custody;
using Accountability.Assignment.Features.Directory;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Database;
using Accountability.Messaging.Migrations;
using Dapper;
using Npgsql;
using MessagingInbox = Accountability.Messaging.Inbox.Inbox;

namespace Accountability.Assignment.Features.Routing;

/// <summary>What routing did with one complaint; null from <see cref="RoutingBatcher.RouteAsync"/> when the inbox already had it.</summary>
public sealed record RoutingOutcome(IReadOnlyList<Decision> Decisions, RoutingChoice? Choice);

/// <summary>
/// Group commit for new complaints, as audit's trail has. Consumers hand their complaint here and wait; one writer takes
/// whatever has gathered (up to <see cref="MaxBatch"/>) and opens and routes every case of it in one transaction: one
/// inbox claim and one read of the candidates' open cases for the batch, then each case on its own row lock, in turn,
/// each choice counting the cases chosen before it. In a burst this makes routing the cheapest stage per complaint, so
/// every complaint gets its owner first. A message is acknowledged only after its batch committed; a failed batch is
/// routed again one complaint at a time, so a bad message fails alone and reaches the error queue through its retries.
/// </summary>
public sealed class RoutingBatcher(
    ServiceDatabase database,
    CaseStore cases,
    DirectoryCache directory,
    TimeProvider time,
    MigrationGate migrations,
    ILogger<RoutingBatcher> logger) : BackgroundService
{
    /// <summary>The most complaints routed in one transaction; also the routing queue's prefetch, so a batch can fill.</summary>
    public const int MaxBatch = 32;

    /// <summary>The inbox stream routing claims in: the consumer's name, as before batching, so a redelivery is still known.</summary>
    public const string InboxName = "ComplaintReceivedConsumer";

    private static readonly ActivitySource Source = new("Accountability.Assignment");

    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Routes the complaint with whatever else is waiting; null when this message was routed before.</summary>
    public async Task<RoutingOutcome?> RouteAsync(ComplaintReceived complaint, Guid messageId, CancellationToken cancellationToken)
    {
        var pending = new Pending(complaint, messageId, Activity.Current, new TaskCompletionSource<RoutingOutcome?>(TaskCreationOptions.RunContinuationsAsynchronously));
        await queue.Writer.WriteAsync(pending, cancellationToken);
        // Cancelled only when the consumer stops; the case may still be routed, and its redelivery is then a duplicate.
        return await pending.Routed.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        var batch = new List<Pending>(MaxBatch);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var pending))
                    batch.Add(pending);
                await RouteAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            queue.Writer.TryComplete();
            foreach (var left in batch.Concat(Drain()))
                left.Routed.TrySetCanceled(stoppingToken);
        }
    }

    private IEnumerable<Pending> Drain()
    {
        while (queue.Reader.TryRead(out var pending))
            yield return pending;
    }

    private async Task RouteAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        try
        {
            var outcomes = await RouteBatchAsync(batch, cancellationToken);
            foreach (var pending in batch)
                pending.Routed.TrySetResult(outcomes.GetValueOrDefault(pending));
        }
        catch (Exception exception) when (batch.Count > 1 && exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Routing a batch of {Count} complaints failed; routing them one by one", batch.Count);
            foreach (var pending in batch)
                await RouteAsync([pending], cancellationToken);
        }
        catch (Exception exception)
        {
            foreach (var pending in batch)
                pending.Routed.TrySetException(exception);
        }
    }

    /// <summary>One transaction for the batch. Returns what was done with each complaint claimed now; the others were routed before.</summary>
    private async Task<Dictionary<Pending, RoutingOutcome>> RouteBatchAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        using var activity = Source.StartActivity(ActivityKind.Internal, parentContext: default,
            links: batch.Where(p => p.Consumer is not null).Select(p => new ActivityLink(p.Consumer!.Context)), name: "assignment route batch");
        activity?.SetTag("accountability.assignment.batch_size", batch.Count);
        await directory.WhenLoaded.WaitAsync(cancellationToken);
        var chart = directory.Chart;

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = await MessagingInbox.ClaimAsync(transaction, InboxName, [.. batch.Select(p => p.MessageId)], cancellationToken);
        var fresh = batch.Where(p => claimed.Contains(p.MessageId)).DistinctBy(p => p.MessageId)
            .Select(p => (Pending: p, UnitId: chart.Route(p.Complaint.Category, p.Complaint.District) ?? chart.IntakeDeskUnitId))
            .ToList();
        var outcomes = new Dictionary<Pending, RoutingOutcome>(ReferenceEqualityComparer.Instance);
        if (fresh.Count > 0)
        {
            var openCases = await OpenCasesAsync(transaction, fresh.SelectMany(f => RoutingPolicy.Candidates(chart, f.UnitId)).Distinct().ToArray(), cancellationToken);
            foreach (var (pending, _) in fresh)
            {
                // The case's statements and outbox rows belong to the consumer's trace, as when each complaint had its own transaction.
                Activity.Current = pending.Consumer ?? activity;
                try
                {
                    var outcome = await RouteOneAsync(transaction, chart, pending.Complaint, openCases, cancellationToken);
                    outcomes[pending] = outcome;
                    if (outcome.Choice?.PersonId is { } person && outcome.Decisions.Count > 1 && outcome.Decisions[1] is Decision.Accepted)
                        openCases[person] = openCases.GetValueOrDefault(person) + 1; // the next complaint of the batch sees this one
                }
                finally
                {
                    Activity.Current = activity;
                }
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return outcomes;
    }

    /// <summary>Opens the case, owned by the intake desk from the instant it was received, and routes it, on one load of the case.</summary>
    private async Task<RoutingOutcome> RouteOneAsync(
        NpgsqlTransaction transaction, OrgChart chart, ComplaintReceived complaint, IReadOnlyDictionary<string, int> openCases, CancellationToken cancellationToken)
    {
        // The case is not anyone's yet, so the workload counts are the same before and after its receipt.
        var choice = RoutingPolicy.Choose(chart, complaint.Category, complaint.District, complaint.SubjectOfficerBadges, openCases);
        var receive = new CustodyCommand.Receive(
            complaint.CaseId,
            complaint.IntakeDeskUnitId,
            complaint.SubjectOfficerBadges,
            [.. complaint.Allegations.Select(a => new CaseAllegation { Id = a.AllegationId.ToString(), Type = a.Type, OfficerBadge = a.OfficerBadge, OfficerDescription = a.OfficerDescription })],
            complaint.Category,
            complaint.District,
            "system:intake",
            complaint.CaseNumber);
        // A receipt stamped by a clock ahead of ours must not make routing look like time ran backwards.
        var now = time.GetUtcNow();
        List<(CustodyCommand, DateTimeOffset)> commands = [(receive, complaint.ReceivedAt)];
        if (choice is not null)
            commands.Add((new CustodyCommand.Route(choice.UnitId, choice.PersonId, choice.Reason, CustodyDecider.RouterActor),
                now < complaint.ReceivedAt ? complaint.ReceivedAt : now));
        return new RoutingOutcome(await cases.ExecuteInTurnAsync(transaction, complaint.CaseId, commands, cancellationToken), choice);
    }

    /// <summary>
    /// Each candidate's open cases, kept by a trigger (migration 0012): one row a candidate, however many cases are open.
    /// Locked, in person order, until the batch commits: another instance's batch for the same people waits and then
    /// counts this one's cases, instead of choosing on stale counts or locking the same rows in another order (a deadlock).
    /// </summary>
    private static async Task<Dictionary<string, int>> OpenCasesAsync(NpgsqlTransaction transaction, string[] candidates, CancellationToken cancellationToken) =>
        (await transaction.Connection!.QueryAsync<(string PersonId, int Open)>(new CommandDefinition(
            "select person_id, open_cases from person_open_cases where person_id = any(@candidates) order by person_id for update",
            new { candidates }, transaction, cancellationToken: cancellationToken)))
        .ToDictionary(r => r.PersonId, r => r.Open);

    /// <summary>A complaint waiting for its batch, with the consumer's span (its statements run under it) and the consumer's wait.</summary>
    private sealed record Pending(ComplaintReceived Complaint, Guid MessageId, Activity? Consumer, TaskCompletionSource<RoutingOutcome?> Routed);
}
