using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Accountability.Contracts;
using Accountability.Messaging.Database;
using Accountability.Messaging.Migrations;
using Accountability.Messaging.Outbox;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Accountability.Messaging.Relay;

/// <summary>
/// Moves committed outbox rows to RabbitMQ. Woken by its own process's writes (ServiceDatabase.OutboxWritten) and by
/// NOTIFY from other sessions, with a poll as a fallback; claims rows with SKIP LOCKED so several relays can share one outbox; marks a row published only after the
/// broker confirmed it. A relay that dies mid-batch leaves its rows unmarked, and its transaction's
/// locks die with its connection, so another relay picks them up: at-least-once, never lost.
/// </summary>
public sealed class OutboxRelay(
    ServiceDatabase database,
    IBus bus,
    IOptions<MessagingOptions> options,
    ILogger<OutboxRelay> logger,
    MigrationGate migrations,
    PublishStall stall) : BackgroundService
{
    public static readonly ActivitySource Source = new("Accountability.Messaging");

    private readonly Channel<bool> wakeUps = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private readonly AdaptivePublishTimeout publishTimeout = new(options.Value.PublishTimeout);

    /// <summary>How long the next batch waits for each confirm (<see cref="AdaptivePublishTimeout"/>).</summary>
    public TimeSpan PublishTimeout => publishTimeout.Current;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        // This process's own writes wake the relay in the process (ServiceDatabase.RelayInProcess); the LISTEN below
        // still hears rows written by a session that notifies (a process without a relay, a tool).
        database.OutboxWritten += WakeUp;
        var listener = ListenForNotificationsAsync(stoppingToken);
        var settings = options.Value;
        var backoff = TimeSpan.Zero;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var relayed = await RelayBatchAsync(settings, stoppingToken);
                backoff = TimeSpan.Zero;
                if (relayed == settings.RelayBatchSize)
                    continue; // more is probably waiting
                await WaitForWorkAsync(settings.RelayPollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                backoff = NextBackoff(backoff, settings.RelayMaxBackoff);
                logger.LogWarning(exception, "Outbox relay for {Schema} failed; retrying in {Backoff}", database.Schema, backoff);
                try { await Task.Delay(backoff, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }

        // From here on a write of this process is announced to the other instances' relays (ServiceDatabase).
        database.OutboxWritten -= WakeUp;
        await listener;
    }

    private void WakeUp() => wakeUps.Writer.TryWrite(true);

    /// <summary>Publishes one batch. Returns the number of rows claimed.</summary>
    public async Task<int> RelayBatchAsync(MessagingOptions settings, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var rows = (await connection.QueryAsync<PendingRow>(new CommandDefinition(
            """
            select seq, message_id as MessageId, message_type as MessageType, body::text as Body, headers::text as Headers
            from outbox
            where published_at is null and failed_at is null
            order by seq
            limit @limit
            for update skip locked
            """,
            new { limit = settings.RelayBatchSize }, transaction, cancellationToken: cancellationToken))).ToList();

        if (rows.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return 0;
        }

        var timeout = publishTimeout.Current;
        var batchStartedAt = stall.Now();
        var outcomes = await Task.WhenAll(rows.Select(row => PublishAsync(row, timeout, cancellationToken)));
        if (outcomes.Any(o => o.TimedOut))
            publishTimeout.TimedOut();
        else if (outcomes.Any(o => o.Error is null))
            publishTimeout.Confirmed(outcomes.Where(o => o.Error is null).Max(o => o.Took));
        // A row that could never be published never reached the broker, so it says nothing about the channel.
        stall.Record(batchStartedAt, confirmed: outcomes.Count(o => o.Error is null), timedOut: outcomes.Count(o => o.TimedOut), timeout);

        var published = outcomes.Where(o => o.Error is null && !o.Unpublishable).Select(o => o.Seq).ToArray();
        var failed = outcomes.Where(o => o.Error is not null).ToList();
        var unpublishable = failed.Where(o => o.Unpublishable).ToList();
        var transient = failed.Where(o => !o.Unpublishable).ToList();

        // The marks and the COMMIT in one round trip (the select opened the transaction). Commit even on partial failure:
        // what the broker confirmed must not be sent again. Not cancelled by a stop, for the same reason.
        await using (var finish = new NpgsqlBatch(connection))
        {
            finish.BatchCommands.Add(BatchStatements.Of(
                "update outbox set published_at = now(), attempts = attempts + 1 where seq = any(@published)", new { published }));
            foreach (var outcome in failed)
                finish.BatchCommands.Add(BatchStatements.Of(
                    """
                    update outbox set attempts = attempts + 1, last_error = @error,
                           failed_at = case when @unpublishable then now() end
                    where seq = @seq
                    """,
                    new { seq = outcome.Seq, error = outcome.Error, unpublishable = outcome.Unpublishable }));
            finish.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
            await finish.ExecuteNonQueryAsync(CancellationToken.None);
        }

        foreach (var outcome in unpublishable)
            logger.LogError("Outbox row {Seq} in {Schema} can never be published and was set aside: {Error}", outcome.Seq, database.Schema, outcome.Error);
        if (transient.Count > 0)
            throw new OutboxPublishException(transient.Count, rows.Count, transient[0].Error!);
        return rows.Count;
    }

    private async Task<PublishOutcome> PublishAsync(PendingRow row, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var messageType = OutboxMessage.ResolveType(row.MessageType);
        if (messageType is null)
            return new PublishOutcome(row.Seq, $"Unknown message type '{row.MessageType}'", Unpublishable: true);

        object message;
        Dictionary<string, string> headers;
        try
        {
            message = JsonSerializer.Deserialize(row.Body, messageType, OutboxMessage.Json)
                      ?? throw new JsonException("The body is JSON null.");
            headers = JsonSerializer.Deserialize<Dictionary<string, string>>(row.Headers, OutboxMessage.Json) ?? [];
        }
        catch (JsonException exception)
        {
            return new PublishOutcome(row.Seq, $"Unreadable body for {row.MessageType}: {exception.Message}", Unpublishable: true);
        }

        headers.TryGetValue(OutboxWriter.TraceParentHeader, out var traceParent);
        headers.TryGetValue(OutboxWriter.TraceStateHeader, out var traceState);
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);

        // Publish as a child of the producer's span, so the consumer lands in the producer's trace.
        using var activity = Source.StartActivity("outbox relay", ActivityKind.Internal, parent);
        activity?.SetTag("messaging.message.id", row.MessageId);
        activity?.SetTag("accountability.outbox.seq", row.Seq);

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await bus.Publish(message, messageType, Pipe.Execute<PublishContext>(context =>
                {
                    context.MessageId = row.MessageId;
                    if (MustReachAQueue(messageType) && context.TryGetPayload<RabbitMqSendContext>(out var rabbit))
                        rabbit.Mandatory = true;
                    foreach (var (key, value) in headers)
                        if (key is not OutboxWriter.TraceParentHeader and not OutboxWriter.TraceStateHeader)
                            context.Headers.Set(key, value);
                }), timeoutSource.Token)
                // Belt and braces: a publish that ignores its token still cannot hold the batch forever.
                .WaitAsync(timeout, cancellationToken);
            return new PublishOutcome(row.Seq, null, false) { Took = Stopwatch.GetElapsedTime(started) };
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            var timedOut = exception is TimeoutException or OperationCanceledException;
            var error = timedOut ? $"Publish timed out after {timeout}"
                : exception is MessageReturnedException
                    ? $"No queue takes {messageType.Name} yet (the broker returned it): it stays in the outbox until one does ({exception.Message})"
                    : exception.Message;
            return new PublishOutcome(row.Seq, error, false) { TimedOut = timedOut };
        }
    }

    private static readonly ConcurrentDictionary<Type, bool> MandatoryTypes = new();

    /// <summary>A message marked <see cref="MustReachAQueueAttribute"/> is published as mandatory: one no queue takes comes back and is tried again.</summary>
    private static bool MustReachAQueue(Type messageType) =>
        MandatoryTypes.GetOrAdd(messageType, type => type.IsDefined(typeof(MustReachAQueueAttribute), inherit: false));

    private async Task WaitForWorkAsync(TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        poll.CancelAfter(pollInterval);
        try
        {
            await wakeUps.Reader.ReadAsync(poll.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval passed without a notification: look anyway.
        }
    }

    private async Task ListenForNotificationsAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => wakeUps.Writer.TryWrite(true);
                await using (var listen = new NpgsqlCommand($"listen \"{database.OutboxChannel}\"", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                backoff = TimeSpan.Zero;
                wakeUps.Writer.TryWrite(true); // anything committed while we were not listening
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (await connection.WaitAsync(ListenerCheckInterval, stoppingToken))
                        continue;
                    // Quiet for a while: make sure the session still listens on the primary. A primary that vanished
                    // without closing the socket (a lost machine, a partition) would otherwise leave this wait
                    // blocked for good, and one that was demoted to a standby gets no more NOTIFY: either way the
                    // relay would fall back to its slow poll. The check fails (a timeout, a closed connection) or
                    // finds a standby, and the loop reconnects through the multi-host connection string.
                    if (await IsStandbyAsync(connection, stoppingToken))
                        throw new InvalidOperationException("The outbox listener's server is a standby now (a failover).");
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The poll keeps the relay working meanwhile; this only restores the fast path.
                backoff = NextBackoff(backoff, options.Value.RelayMaxBackoff);
                logger.LogWarning(exception, "Outbox listener for {Schema} lost its connection; reconnecting in {Backoff}", database.Schema, backoff);
                try { await Task.Delay(backoff, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>How long the listener waits for a NOTIFY before it checks its session.</summary>
    internal static readonly TimeSpan ListenerCheckInterval = TimeSpan.FromSeconds(5);

    private static async Task<bool> IsStandbyAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        await using var check = new NpgsqlCommand("select pg_is_in_recovery()", connection) { CommandTimeout = 5 };
        return (bool)(await check.ExecuteScalarAsync(stoppingToken))!;
    }

    private static TimeSpan NextBackoff(TimeSpan previous, TimeSpan max)
    {
        var doubled = previous == TimeSpan.Zero ? TimeSpan.FromMilliseconds(200) : previous * 2;
        var capped = doubled > max ? max : doubled;
        // Jitter keeps several relays from retrying in lock step.
        return capped * (0.8 + Random.Shared.NextDouble() * 0.4);
    }

    private sealed record PendingRow(long Seq, Guid MessageId, string MessageType, string Body, string Headers);

    private sealed record PublishOutcome(long Seq, string? Error, bool Unpublishable)
    {
        public bool TimedOut { get; init; }

        public TimeSpan Took { get; init; }
    }
}

public sealed class OutboxPublishException(int failed, int claimed, string firstError)
    : Exception($"{failed} of {claimed} outbox messages were not published: {firstError}");
