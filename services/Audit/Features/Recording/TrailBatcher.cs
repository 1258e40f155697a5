using System.Diagnostics;
using System.Threading.Channels;
using Accountability.Messaging.Database;
using Accountability.Messaging.Migrations;
using Microsoft.Extensions.Options;
using MessagingInbox = Accountability.Messaging.Inbox.Inbox;

namespace Accountability.Audit.Features.Recording;

/// <summary>
/// Group commit for the trail. Consumers hand their event here and wait; one writer takes whatever
/// has gathered (up to Audit:AppendBatchSize) and appends it in one transaction, so the chain lock is
/// taken once per batch instead of once per event, and concurrent consumers no longer queue on it.
/// A consumer's message is acknowledged only after the batch holding it committed. When a batch
/// fails, its events are appended one by one, so one bad message fails alone and goes to the error
/// queue through the consumer's retries, never taking its neighbours with it.
/// A batch that is not full waits Audit:AppendLinger for companions before it is written: at a trickle a
/// complaint's eight events arrive over a few dozen milliseconds, and written one at a time each paid a
/// whole transaction (docs/bench.md, eighteenth round). The wait ends once half the queue's prefetch has gathered: under
/// a backlog the prefetch lets no more in until a batch is written, so waiting for a full batch waited out the whole linger
/// every time, and the other half gathers the next batch while this one is written (docs/bench.md, twenty-second round).
/// </summary>
public sealed class TrailBatcher(
    ServiceDatabase database,
    TrailAppender appender,
    MigrationGate migrations,
    IOptions<AuditOptions> options,
    IOptions<Messaging.MessagingOptions> messaging,
    ILogger<TrailBatcher> logger) : BackgroundService
{
    /// <summary>A batch is a span of its own, linked to the trace of every event in it.</summary>
    public static readonly ActivitySource Source = new("Accountability.Audit");

    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>True when the event was recorded now; false when the trail already had it.</summary>
    public Task<bool> AppendAsync(IncomingEvent incoming, CancellationToken cancellationToken) => AppendAsync([incoming], cancellationToken);

    /// <summary>
    /// The events of one message (an envelope's), recorded in one batch under one inbox claim, their InboxId. True when they
    /// were recorded now; false when the inbox already had the message.
    /// </summary>
    public async Task<bool> AppendAsync(IReadOnlyList<IncomingEvent> incoming, CancellationToken cancellationToken)
    {
        var pending = new Pending(incoming, Activity.Current?.Context ?? default, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        await queue.Writer.WriteAsync(pending, cancellationToken);
        // Cancelled only when the consumer stops; the event may still be written, and its redelivery is then a duplicate.
        return await pending.Recorded.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        var (limit, linger) = (options.Value.AppendBatchSize, options.Value.AppendLinger);
        var enough = Math.Min(limit, Math.Max(1, options.Value.TrailPrefetch(messaging.Value) / 2));
        var batch = new List<Pending>(limit);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                TakeUpTo(limit, batch);
                // Enough gathered goes at once: under load the wait would only add latency, never a companion.
                if (batch.Count < enough && linger > TimeSpan.Zero)
                    await GatherAsync(batch, limit, enough, linger, stoppingToken);
                await WriteAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            queue.Writer.TryComplete();
            foreach (var left in batch.Concat(Drain()))
                left.Recorded.TrySetCanceled(stoppingToken);
        }
    }

    /// <summary>Takes events as they arrive until <paramref name="enough"/> wait or <paramref name="linger"/> has passed.</summary>
    private async Task GatherAsync(List<Pending> batch, int limit, int enough, TimeSpan linger, CancellationToken stoppingToken)
    {
        using var lingering = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        lingering.CancelAfter(linger);
        try
        {
            while (batch.Count < enough && await queue.Reader.WaitToReadAsync(lingering.Token))
                TakeUpTo(limit, batch);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The linger is over: write what has gathered.
        }
        TakeUpTo(limit, batch);
    }

    private void TakeUpTo(int limit, List<Pending> batch)
    {
        while (batch.Count < limit && queue.Reader.TryRead(out var pending))
            batch.Add(pending);
    }

    private IEnumerable<Pending> Drain()
    {
        while (queue.Reader.TryRead(out var pending))
            yield return pending;
    }

    private async Task WriteAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        try
        {
            var recorded = await AppendBatchAsync(batch, cancellationToken);
            foreach (var pending in batch)
                pending.Recorded.TrySetResult(pending.Events.Any(e => recorded.Contains(e.EventId)));
        }
        catch (Exception exception) when (batch.Count > 1 && exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Appending a batch of {Count} events failed; appending them one by one", batch.Count);
            foreach (var pending in batch)
                await WriteAsync([pending], cancellationToken);
        }
        catch (Exception exception)
        {
            foreach (var pending in batch)
                pending.Recorded.TrySetException(exception);
        }
    }

    /// <summary>One transaction: claim the events in the inbox, append those claimed now. Returns the ids recorded.</summary>
    private async Task<IReadOnlySet<Guid>> AppendBatchAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        using var activity = Source.StartActivity(
            ActivityKind.Internal, parentContext: default,
            links: batch.Where(p => p.Consumer != default).Select(p => new ActivityLink(p.Consumer)), name: "audit append batch");
        activity?.SetTag("accountability.audit.batch_size", batch.Count);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The claim goes in the append's first round trip and the COMMIT in its last.
        var events = batch.SelectMany(p => p.Events).DistinctBy(e => e.EventId).ToList();
        var records = await appender.AppendAsync(transaction, events, cancellationToken,
            claim: MessagingInbox.ClaimStatement(Consumers.AuditConsumer<object>.InboxName, [.. events.Select(e => e.InboxId).Distinct()]), commit: true);
        return records.Select(r => r.EventId).ToHashSet();
    }

    /// <summary>An event waiting for its batch, with the consumer's span (linked from the batch's) and the consumer's wait.</summary>
    private sealed record Pending(IReadOnlyList<IncomingEvent> Events, ActivityContext Consumer, TaskCompletionSource<bool> Recorded);
}
