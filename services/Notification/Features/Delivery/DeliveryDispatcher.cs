using System.Diagnostics;
using Accountability.Contracts.Notification;
using Accountability.Messaging.Database;
using Accountability.Notification.Data;
using Accountability.Messaging.Migrations;
using Accountability.Messaging.Outbox;
using Accountability.ServiceDefaults.Telemetry;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Accountability.Notification.Features.Delivery;

/// <summary>
/// Sends what the consumers recorded. Each worker claims one due delivery at a time with
/// FOR UPDATE SKIP LOCKED (so any number of workers and instances never send the same row at once),
/// makes one attempt, and records it in the same transaction: an attempt row, the new state, and
/// NotificationSent or NotificationFailed through the outbox. Failures come back with exponential
/// backoff and jitter, until the budget runs out and the delivery waits, failed, for a person.
/// </summary>
public sealed class DeliveryDispatcher(
    ServiceDatabase database, MigrationGate migrations, DeliveryAttempt attempt, DeliveryWakeup wakeup,
    IOptions<NotificationOptions> options, TimeProvider time, ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    public static readonly ActivitySource Source = new("Accountability.Notification");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        var workers = Enumerable.Range(0, options.Value.Delivery.Workers).Select(_ => WorkAsync(stoppingToken));
        await Task.WhenAll(workers);
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Delivery;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan? lookAgainIn;
            try
            {
                lookAgainIn = await DispatchOneAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The database is away, most likely; the row stays pending and is claimed again later.
                logger.LogWarning("Notification dispatch failed and will be tried again: {Error}", Redaction.Scrub(exception.Message));
                lookAgainIn = null;
            }
            if (lookAgainIn == TimeSpan.Zero)
                continue;
            try
            {
                // Until the next retry comes due, at most the poll interval; a consumer's new delivery, or a colleague that
                // claimed one and saw another waiting, wakes us at once. Only a failed dispatch has to ask.
                await wakeup.WaitAsync(lookAgainIn ?? await NextLookInAsync(settings.PollInterval, stoppingToken), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static TimeSpan Until(double? dueInSeconds, TimeSpan longest) =>
        dueInSeconds is { } due ? TimeSpan.FromSeconds(Math.Clamp(due, 0, longest.TotalSeconds)) : longest;

    /// <summary>
    /// The claim found nothing. Every due row it passed over is held by another worker, here or in another instance,
    /// which will send it or set it a later attempt; looking again before then only finds it held again (a worker that
    /// did so spun through thousands of empty claims while a colleague waited on a slow relay). So the wait is until
    /// the first row comes due that was not due at the claim: now() is the claim's, as both run in one transaction.
    /// A held row whose transaction fails is due again at once, and its own worker looks again (the error path).
    /// </summary>
    private async Task<TimeSpan> NothingClaimableAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var dueInSeconds = await connection.ExecuteScalarAsync<double?>(new CommandDefinition(
            "select extract(epoch from min(next_attempt_at) - now())::float8 from deliveries where status = 'pending' and next_attempt_at > now()",
            transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return Until(dueInSeconds, options.Value.Delivery.PollInterval);
    }

    /// <summary>After a failed dispatch: the row it held is due again, so this counts every pending row, held or not.</summary>
    private async Task<TimeSpan> NextLookInAsync(TimeSpan longest, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            return Until(await connection.ExecuteScalarAsync<double?>(new CommandDefinition(
                "select extract(epoch from min(next_attempt_at) - now())::float8 from deliveries where status = 'pending'", cancellationToken: cancellationToken)), longest);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return longest; // the database is away: the next look reports it
        }
    }

    /// <summary>
    /// Claims and attempts one due delivery. Returns how long until the worker should claim again: zero when another
    /// delivery is waiting, otherwise until the next one comes due that no other worker holds, at most the poll interval.
    /// </summary>
    public async Task<TimeSpan> DispatchOneAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var delivery = await connection.QuerySingleOrDefaultAsync<DeliveryRow>(new CommandDefinition(
            $"""
            select d.id as Id, d.template as Template, d.channel as Channel, d.case_id as CaseId, d.recipient_role as RecipientRole,
                   d.recipient_id as RecipientId, d.parameters::text as Parameters, d.attempts as Attempts,
                   d.round_attempts as RoundAttempts, d.traceparent as Traceparent,
                   (select extract(epoch from next.next_attempt_at - now())::float8 from deliveries next
                    where next.status = 'pending' and next.id <> d.id order by next.next_attempt_at limit 1) as NextDueInSeconds,
                   {CaseStore.Columns("c", "Known")},
                   (select version from directory_copy) as DirectoryVersion
            from deliveries d left join cases c on c.case_id = d.case_id
            where d.status = 'pending' and d.next_attempt_at <= now()
            order by d.next_attempt_at
            limit 1
            for update of d skip locked
            """, transaction: transaction, cancellationToken: cancellationToken));
        if (delivery is null)
            return await NothingClaimableAsync(connection, transaction, cancellationToken);
        // Another due row waits behind this one: wake an idle colleague to take it while this worker sends. Idle workers
        // sleep until a row no one holds comes due (NothingClaimableAsync), so without this only the first would send.
        if (delivery.NextDueInSeconds <= 0)
            wakeup.Signal();

        // A child of the consumer that recorded it, so one trace runs from the event to the send.
        ActivityContext.TryParse(delivery.Traceparent, null, out var parent);
        using var activity = Source.StartActivity("notification send", ActivityKind.Producer, parent);
        if (delivery.CaseId is { } caseId)
            activity.TagCase(caseId, "notify-" + delivery.Template);
        activity?.SetTag("accountability.notification.channel", delivery.Channel);
        activity?.SetTag("accountability.notification.recipient_role", delivery.RecipientRole);

        var startedAt = time.GetUtcNow();
        SendOutcome outcome;
        try
        {
            outcome = await attempt.RunAsync(connection, transaction, delivery, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            outcome = new SendOutcome.Retry($"Unexpected {exception.GetType().Name}: {Redaction.Scrub(exception.Message)}");
        }
        var finishedAt = time.GetUtcNow();
        var attempts = delivery.Attempts + 1;
        var round = delivery.RoundAttempts + 1;

        var settings = options.Value.Delivery;
        if (outcome is SendOutcome.Retry retry && round >= settings.MaxAttempts)
            outcome = new SendOutcome.Failed($"Gave up after {round} attempt(s); the last one: {retry.Why}");

        var (status, outcomeName) = outcome switch
        {
            SendOutcome.Sent => ("sent", "sent"),
            SendOutcome.Skipped => ("skipped", "skipped"),
            SendOutcome.Failed => ("failed", "failed"),
            _ => ("pending", "retry"),
        };
        var wait = outcome is SendOutcome.Retry ? Backoff.Delay(round, settings.InitialBackoff, settings.MaxBackoff, Random.Shared) : TimeSpan.Zero;
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into delivery_attempts (delivery_id, attempt, started_at, finished_at, outcome, detail)
            values (@Id, @attempts, @startedAt, @finishedAt, @outcomeName, @Reason);
            update deliveries set status = @status, attempts = @attempts, round_attempts = @round, last_error = @Reason,
                   next_attempt_at = now() + @wait,
                   sent_at = case when @status = 'sent' then @finishedAt else sent_at end,
                   failed_at = case when @status = 'failed' then @finishedAt else null end
            where id = @Id
            """,
            new { delivery.Id, attempts, round, startedAt, finishedAt, outcomeName, outcome.Reason, status, wait },
            transaction, cancellationToken: cancellationToken));

        if (outcome is SendOutcome.Sent)
            await OutboxWriter.EnqueueAsync(transaction, new NotificationSent
            {
                DeliveryId = delivery.Id,
                CaseId = delivery.CaseId,
                RecipientRole = delivery.RecipientRole,
                RecipientPersonId = delivery.RecipientId,
                Channel = delivery.Channel,
                Template = delivery.Template,
                Attempts = attempts,
                SentAt = finishedAt,
            }, cancellationToken);
        else if (outcome is SendOutcome.Failed failed)
            await OutboxWriter.EnqueueAsync(transaction, new NotificationFailed
            {
                DeliveryId = delivery.Id,
                CaseId = delivery.CaseId,
                RecipientRole = delivery.RecipientRole,
                RecipientPersonId = delivery.RecipientId,
                Channel = delivery.Channel,
                Template = delivery.Template,
                Attempts = attempts,
                Reason = failed.Why,
                FailedAt = finishedAt,
            }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        Log(delivery, outcome, attempts, wait);
        activity?.SetTag("accountability.notification.outcome", outcomeName);
        if (outcome is SendOutcome.Failed)
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Reason);
        // The next due is the other one the claim saw, or this one's retry if that comes sooner.
        var nextDue = outcome is SendOutcome.Retry
            ? Math.Min(wait.TotalSeconds, delivery.NextDueInSeconds ?? double.MaxValue)
            : delivery.NextDueInSeconds;
        return Until(nextDue, settings.PollInterval);
    }

    // Person ids, templates and reasons only: never an address, never a message body.
    private void Log(DeliveryRow delivery, SendOutcome outcome, int attempts, TimeSpan wait)
    {
        var recipient = delivery.RecipientId ?? "complainant";
        switch (outcome)
        {
            case SendOutcome.Sent:
                logger.LogInformation("Notification {DeliveryId} ({Template} to {Recipient} by {Channel}) sent on attempt {Attempt}",
                    delivery.Id, delivery.Template, recipient, delivery.Channel, attempts);
                break;
            case SendOutcome.Retry retry:
                logger.LogWarning("Notification {DeliveryId} ({Template} to {Recipient} by {Channel}) attempt {Attempt} failed, retrying in {Wait}: {Reason}",
                    delivery.Id, delivery.Template, recipient, delivery.Channel, attempts, wait, retry.Why);
                break;
            case SendOutcome.Failed failed:
                logger.LogError("Notification {DeliveryId} ({Template} to {Recipient} by {Channel}) failed after {Attempt} attempt(s): {Reason}",
                    delivery.Id, delivery.Template, recipient, delivery.Channel, attempts, failed.Why);
                break;
            case SendOutcome.Skipped skipped:
                logger.LogInformation("Notification {DeliveryId} ({Template} to {Recipient} by {Channel}) skipped: {Reason}",
                    delivery.Id, delivery.Template, recipient, delivery.Channel, skipped.Why);
                break;
        }
    }
}
