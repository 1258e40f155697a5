using System.Diagnostics;
using System.Threading.Channels;
using Accountability.Messaging.Migrations;
using Accountability.ServiceDefaults.Http;

namespace Accountability.Intake.Features.FileComplaint;

/// <summary>One filing waiting for its batch; <see cref="Parent"/> is the request's trace, which the filing's span continues.</summary>
public sealed record PendingFiling(ValidComplaint Complaint, FilingCaller Caller, string? IdempotencyKey, ActivityContext Parent, CancellationToken Abandoned)
{
    public TaskCompletionSource<FilingOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Files complaints in batches (issue 18). Every filing takes the next gapless case number from the year's counter row,
/// and holds that row until it commits, so under a burst the filings queued on it one commit at a time, each holding a
/// pooled connection while it waited, until the pool ran dry and callers were refused. Here each of a few writers
/// (<see cref="Writers"/>) takes whatever has arrived (up to <see cref="MaxBatch"/>), writes it in one transaction with
/// one counter bump and one commit, and answers each caller; waiting filings hold no connection. Several writers, so that
/// one batch's rows are written while another commits (one writer alone made every round trip of a burst wait in line).
/// A batch that fails is filed again one by one, so one bad filing fails only itself.
/// </summary>
public sealed class FilingBatcher(ComplaintFiler filer, MigrationGate migrations, ILogger<FilingBatcher> logger) : BackgroundService
{
    public const int MaxBatch = 64;

    /// <summary>Batches written at once: so many connections at most, however large the burst.</summary>
    public const int Writers = 4;

    private readonly Channel<PendingFiling> queue = Channel.CreateUnbounded<PendingFiling>();

    /// <summary>Queues the filing and waits for its batch to commit. A caller that gives up is not filed if its batch has not started.</summary>
    public async Task<FilingOutcome> FileAsync(ValidComplaint complaint, FilingCaller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var pending = new PendingFiling(complaint, caller, idempotencyKey, Activity.Current?.Context ?? default, cancellationToken);
        if (!queue.Writer.TryWrite(pending))
            // Only once the service is stopping: filed directly, as before batching.
            return await filer.FileAsync(complaint, caller, idempotencyKey, cancellationToken);
        return await pending.Done.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => WriteAsync(stoppingToken)));
        // Stopping: whatever is queued is still filed (the web server lets its requests finish before this stops).
        queue.Writer.TryComplete();
        while (queue.Reader.TryPeek(out _))
            await FileWhatHasArrivedAsync(CancellationToken.None);
    }

    private async Task WriteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
                await FileWhatHasArrivedAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task FileWhatHasArrivedAsync(CancellationToken ct)
    {
        var batch = new List<PendingFiling>(MaxBatch);
        while (batch.Count < MaxBatch && queue.Reader.TryRead(out var pending))
            batch.Add(pending);
        while (true)
        {
            foreach (var abandoned in batch.Where(p => p.Abandoned.IsCancellationRequested))
                abandoned.Done.TrySetCanceled(abandoned.Abandoned);
            batch.RemoveAll(p => p.Abandoned.IsCancellationRequested);
            if (batch.Count == 0)
                return;
            try
            {
                var outcomes = await filer.FileTogetherAsync(batch, ct);
                for (var i = 0; i < batch.Count; i++)
                    batch[i].Done.TrySetResult(outcomes[i]);
                return;
            }
            catch (Exception exception) when (ProblemDetailsExtensions.IsOutOfConnections(exception))
            {
                // Saturated, and nothing was written without a connection: a complaint is never refused for load, so the
                // batch waits for one again, for as long as its callers wait. (Only reads are told to come back later.)
                logger.LogInformation("No database connection came free for a batch of {Count} filings; trying again", batch.Count);
                await Task.Delay(OutOfConnectionsPause, ct);
            }
            catch (Exception exception)
            {
                // Also a batch of one: the single path handles what a batch gives up on, such as a key another batch claimed meanwhile.
                logger.LogWarning(exception, "A batch of {Count} filings failed; filing them one by one", batch.Count);
                foreach (var pending in batch)
                    await FileAloneAsync(pending, ct);
                return;
            }
        }
    }

    /// <summary>The pause before a batch that found no free connection asks the pool again.</summary>
    private static readonly TimeSpan OutOfConnectionsPause = TimeSpan.FromMilliseconds(100);

    private async Task FileAloneAsync(PendingFiling pending, CancellationToken ct)
    {
        try
        {
            using var activity = ComplaintFiler.Source.StartActivity("file complaint alone", ActivityKind.Internal, pending.Parent);
            pending.Done.TrySetResult(await filer.FileAsync(pending.Complaint, pending.Caller, pending.IdempotencyKey, ct));
        }
        catch (Exception exception)
        {
            pending.Done.TrySetException(exception);
        }
    }
}
