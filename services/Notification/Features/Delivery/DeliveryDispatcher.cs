using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Accountability.Contracts.Notification;
using Accountability.Messaging.Database;
using Accountability.Notification.Data;
using Accountability.Notification.Features.Templates;
using Accountability.Messaging.Migrations;
using Accountability.Messaging.Outbox;
using Accountability.ServiceDefaults.Telemetry;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Accountability.Notification.Features.Delivery;

/// <summary>
/// Sends what the consumers recorded. Each worker claims up to BatchSize due deliveries in one statement, which locks them
/// with FOR UPDATE SKIP LOCKED and leases them (next_attempt_at moves to the lease's end, claim_id is stamped), so any number
/// of workers and instances never send the same row at once, and no transaction or connection is held while a relay answers.
/// The claimed deliveries are attempted side by side; their outcomes are recorded together once all are known, or after
/// Delivery:RecordLinger for those known by then (outcomes that finish while a record is under way go together in the next
/// one: <see cref="CoalescingWriter{TItem, TResult}"/>), by a statement that
/// changes a row only while the claim is still the worker's: an attempt row, the new state, and through the outbox one
/// NotificationsSent for the mails that went out and a NotificationFailed for each that gave up. Failures come back with
/// exponential backoff and jitter, until the budget runs out and the delivery waits, failed, for a person.
/// </summary>
public sealed class DeliveryDispatcher(
    ServiceDatabase database, MigrationGate migrations, DeliveryAttempt attempt, DeliveryWakeup wakeup, DirectoryCopy directory,
    IOptions<NotificationOptions> options, TimeProvider time, ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    public static readonly ActivitySource Source = new("Accountability.Notification");

    /// <summary>How long recording an outcome may take once the service is stopping: a mail that went out must not be lost from the log.</summary>
    private static readonly TimeSpan RecordWhileStopping = TimeSpan.FromSeconds(10);

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
                lookAgainIn = await DispatchBatchAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The database is away, most likely; the rows stay pending and are claimed again later.
                logger.LogWarning("Notification dispatch failed and will be tried again: {Error}", Redaction.Scrub(exception.Message));
                lookAgainIn = null;
            }
            if (lookAgainIn == TimeSpan.Zero)
                continue;
            try
            {
                // Until the next retry comes due, at most the poll interval; a consumer's new delivery, or a colleague that
                // claimed a full batch, wakes us at once. Only a failed dispatch has to ask.
                var signalled = await wakeup.WaitAsync(lookAgainIn ?? await NextLookInAsync(settings.PollInterval, stoppingToken), stoppingToken);
                // Woken with nothing left over from the last claim: the rest of the complaint's deliveries are on their way.
                if (signalled)
                    await wakeup.GatherAsync(settings.Linger, stoppingToken);
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
    /// The claim found nothing: every pending row is either not due yet or leased by another worker (a lease moves the row's
    /// next attempt to the lease's end). So the wait is until the first one comes due, at most the poll interval.
    /// </summary>
    private async Task<TimeSpan> NothingClaimableAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        Until(await connection.ExecuteScalarAsync<double?>(new CommandDefinition(
            "select extract(epoch from min(next_attempt_at) - now())::float8 from deliveries where status = 'pending'",
            cancellationToken: cancellationToken)), options.Value.Delivery.PollInterval);

    /// <summary>After a failed dispatch: when the first pending row comes due, or the longest wait when the database cannot say.</summary>
    private async Task<TimeSpan> NextLookInAsync(TimeSpan longest, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            return await NothingClaimableAsync(connection, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return longest; // the database is away: the next look reports it
        }
    }

    /// <summary>
    /// Claims up to BatchSize due deliveries and attempts them side by side. Returns how long until the worker should claim
    /// again: zero when the batch was full (more may be due), otherwise until the next one comes due that no claim holds,
    /// at most the poll interval.
    /// </summary>
    public async Task<TimeSpan> DispatchBatchAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var claimId = Guid.CreateVersion7();
        List<DeliveryRow> claimed;
        OrgChartView? chart = null;
        await using (var connection = await database.OpenConnectionAsync(stoppingToken))
        {
            // One statement, its own transaction: the rows' locks last only as long as it does. The next-due figure is read in
            // the same snapshot, which does not see this statement's own lease, so it names the first row not due at the claim.
            claimed = (await connection.QueryAsync<DeliveryRow>(new CommandDefinition(
                $"""
                with picked as (
                    select id from deliveries
                    where status = 'pending' and next_attempt_at <= now()
                    order by next_attempt_at
                    limit @batchSize
                    for update skip locked
                ), leased as (
                    update deliveries d set next_attempt_at = now() + @lease, claim_id = @claimId
                    from picked where d.id = picked.id
                    returning d.*
                )
                select d.id as Id, d.template as Template, d.channel as Channel, d.case_id as CaseId, d.recipient_role as RecipientRole,
                       d.recipient_id as RecipientId, d.parameters::text as Parameters, d.attempts as Attempts,
                       d.round_attempts as RoundAttempts, d.traceparent as Traceparent,
                       (select extract(epoch from min(next.next_attempt_at) - now())::float8 from deliveries next
                        where next.status = 'pending' and next.next_attempt_at > now()) as NextDueInSeconds,
                       {CaseStore.Columns("c", "Known")},
                       (select version from directory_copy) as DirectoryVersion
                from leased d left join cases c on c.case_id = d.case_id
                order by d.created_at
                """, new { batchSize = settings.Delivery.BatchSize, lease = settings.ClaimLease, claimId }, cancellationToken: stoppingToken))).ToList();
            if (claimed.Count == 0)
                return await NothingClaimableAsync(connection, stoppingToken);
            try
            {
                if (claimed.Any(d => d.RecipientRole != Triggers.Roles.Complainant))
                    chart = await directory.AtVersionAsync(connection, null, claimed[0].DirectoryVersion, stoppingToken);
            }
            catch (Exception exception)
            {
                await ReleaseAsync(claimId, exception);
                throw;
            }
        }
        // A full batch may have left more due rows behind: wake an idle colleague to take them while this worker sends.
        if (claimed.Count == settings.Delivery.BatchSize)
            wakeup.Signal();

        // A mail that went out is recorded even while the service stops.
        using var recordTimeout = new CancellationTokenSource();
        using var stopping = stoppingToken.Register(() => recordTimeout.CancelAfter(RecordWhileStopping));
        // The claim's attempts run side by side and mostly end within milliseconds of each other: the first outcome waits
        // for the rest, at most RecordLinger, so a claim is usually one record (and one batch of announcements for the
        // relay) instead of one for the first outcome and another for the rest. A slow relay holds the others back no longer.
        var recorder = new CoalescingWriter<Outcome, bool>(async (outcomes, token) =>
        {
            var recorded = await RecordAsync(claimId, outcomes, token);
            return [.. outcomes.Select(o => recorded.Contains(o.Id))];
        }, recordTimeout.Token, settings.Delivery.RecordLinger, fullAt: claimed.Count);
        IReadOnlyList<TimeSpan?> retryWaits;
        try
        {
            retryWaits = await Task.WhenAll(claimed.Select(delivery => AttemptAndRecordAsync(delivery, recorder, chart, stoppingToken)));
        }
        catch (Exception exception)
        {
            // Stopping, or a record the database refused: what was not recorded is given back now, rather than when the lease
            // runs out. A mail that went out but could not be recorded goes out again, with the same Message-ID.
            await ReleaseAsync(claimId, exception);
            throw;
        }
        if (claimed.Count == settings.Delivery.BatchSize)
            return TimeSpan.Zero;
        // The next due is the first row the claim did not see as due, or a retry of this batch if that comes sooner.
        var nextDue = retryWaits.Where(w => w is not null).Select(w => w!.Value.TotalSeconds).Append(claimed[0].NextDueInSeconds ?? double.MaxValue).Min();
        return Until(nextDue == double.MaxValue ? null : nextDue, settings.Delivery.PollInterval);
    }

    /// <summary>Gives a claim's unrecorded deliveries back, due now. If the database is away too, the lease runs out instead.</summary>
    private async Task ReleaseAsync(Guid claimId, Exception why)
    {
        try
        {
            using var timeout = new CancellationTokenSource(RecordWhileStopping);
            await using var connection = await database.OpenConnectionAsync(timeout.Token);
            var released = await connection.ExecuteAsync(new CommandDefinition(
                "update deliveries set next_attempt_at = now(), claim_id = null where claim_id = @claimId and status = 'pending'",
                new { claimId }, cancellationToken: timeout.Token));
            if (released > 0)
                logger.LogInformation("{Released} claimed notification(s) given back unsent ({Why})", released, why.GetType().Name);
        }
        catch (Exception exception)
        {
            logger.LogWarning("Claimed notifications could not be given back; they come due when their lease ends: {Error}", Redaction.Scrub(exception.Message));
        }
    }

    /// <summary>One attempt and its record. Returns the wait before its retry, or null when it needs none.</summary>
    private async Task<TimeSpan?> AttemptAndRecordAsync(DeliveryRow delivery, CoalescingWriter<Outcome, bool> recorder, OrgChartView? chart, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        // A child of the consumer that recorded it, so one trace runs from the event to the send.
        ActivityContext.TryParse(delivery.Traceparent, null, out var parent);
        using var activity = Source.StartActivity("notification send", ActivityKind.Producer, parent);
        if (delivery.CaseId is { } caseId)
            activity.TagCase(caseId, "notify-" + delivery.Template);
        activity?.SetTag("accountability.notification.channel", delivery.Channel);
        activity?.SetTag("accountability.notification.recipient_role", delivery.RecipientRole);

        var startedAt = time.GetUtcNow();
        SendOutcome outcome;
        // The claim's lease outlasts this deadline, so no other worker can take the delivery while this attempt runs.
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            deadline.CancelAfter(settings.AttemptDeadline);
            try
            {
                outcome = await attempt.RunAsync(delivery, chart, deadline.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                outcome = new SendOutcome.Retry(string.Create(CultureInfo.InvariantCulture,
                    $"The attempt did not finish within {settings.AttemptDeadline.TotalSeconds:0.#} s."));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                outcome = new SendOutcome.Retry($"Unexpected {exception.GetType().Name}: {Redaction.Scrub(exception.Message)}");
            }
        }
        var finishedAt = time.GetUtcNow();
        var attempts = delivery.Attempts + 1;
        var round = delivery.RoundAttempts + 1;

        if (outcome is SendOutcome.Retry retry && round >= settings.Delivery.MaxAttempts)
            outcome = new SendOutcome.Failed($"Gave up after {round} attempt(s); the last one: {retry.Why}");

        var (status, outcomeName) = outcome switch
        {
            SendOutcome.Sent => ("sent", "sent"),
            SendOutcome.Skipped => ("skipped", "skipped"),
            SendOutcome.Failed => ("failed", "failed"),
            _ => ("pending", "retry"),
        };
        var wait = outcome is SendOutcome.Retry ? Backoff.Delay(round, settings.Delivery.InitialBackoff, settings.Delivery.MaxBackoff, Random.Shared) : TimeSpan.Zero;
        // Inside the send's span, so the announcement's trace continues from it: a failure is announced alone, a mail that went
        // out with the claim's others (NotificationsSent), each with its own event id and its send's traceparent.
        var failure = outcome is SendOutcome.Failed failed
            ? OutboxWriter.RowFor(new NotificationFailed
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
            }, typeof(NotificationFailed))
            : null;
        var sent = outcome is SendOutcome.Sent
            ? JsonSerializer.Serialize(new AnnouncedNotification
            {
                EventId = Guid.CreateVersion7(),
                Sent = new NotificationSent
                {
                    DeliveryId = delivery.Id,
                    CaseId = delivery.CaseId,
                    RecipientRole = delivery.RecipientRole,
                    RecipientPersonId = delivery.RecipientId,
                    Channel = delivery.Channel,
                    Template = delivery.Template,
                    Attempts = attempts,
                    SentAt = finishedAt,
                },
                TraceParent = Activity.Current?.Id,
            }, OutboxMessage.Json)
            : null;

        var recorded = await recorder.WriteAsync(new Outcome(delivery.Id, status, outcomeName, outcome.Reason, attempts, round, wait, startedAt, finishedAt, failure, sent));
        if (!recorded)
        {
            // The lease ran out before this record and another claim took the row: that one's record stands.
            logger.LogWarning("Notification {DeliveryId}: attempt {Attempt} ({Outcome}) finished after its claim had passed to another worker; not recorded",
                delivery.Id, attempts, outcomeName);
            return null;
        }

        Log(delivery, outcome, attempts, wait);
        activity?.SetTag("accountability.notification.outcome", outcomeName);
        if (outcome is SendOutcome.Failed)
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Reason);
        return outcome is SendOutcome.Retry ? wait : null;
    }

    /// <summary>
    /// An attempt's outcome, and what announces it: a NotificationFailed of its own, or (as JSON) its place in the record's
    /// NotificationsSent.
    /// </summary>
    private sealed record Outcome(
        Guid Id, string Status, string OutcomeName, string? Reason, int Attempts, int Round, TimeSpan Wait, DateTimeOffset StartedAt, DateTimeOffset FinishedAt,
        OutboxRow? Failure, string? Sent);

    /// <summary>The property of NotificationsSent that the record's statement fills with the recorded mails.</summary>
    private static readonly string NotificationsProperty = OutboxMessage.Json.PropertyNamingPolicy!.ConvertName(nameof(NotificationsSent.Notifications));

    /// <summary>
    /// Records outcomes in one statement, each only while its delivery is still held by this claim: the row's new state, the
    /// attempt, a NotificationFailed for each failure, and one NotificationsSent for the mails that went out (of those recorded
    /// only, so a delivery that passed to another claim is announced by that one alone).
    /// Returns the deliveries recorded; one that had passed to another claim is left out, and nothing was written for it.
    /// </summary>
    private async Task<IReadOnlySet<Guid>> RecordAsync(Guid claimId, IReadOnlyList<Outcome> outcomes, CancellationToken cancellationToken)
    {
        // The envelope's id, type and headers; the statement writes its body from the mails it records.
        var together = OutboxWriter.RowFor(new NotificationsSent { Notifications = [] }, typeof(NotificationsSent));
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var recorded = await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            with outcome as (
                select * from unnest(@Ids, @Statuses, @OutcomeNames, @Reasons, @Attempts, @Rounds, @Waits, @StartedAts, @FinishedAts,
                                     @MessageIds, @MessageTypes, @Bodies, @Headers, @Sent)
                    with ordinality as o(id, status, outcome_name, reason, attempts, round, wait, started_at, finished_at,
                                         message_id, message_type, body, headers, sent, position)
            ), recorded as (
                update deliveries d set status = o.status, attempts = o.attempts, round_attempts = o.round, last_error = o.reason,
                       next_attempt_at = now() + o.wait, claim_id = null,
                       sent_at = case when o.status = 'sent' then o.finished_at else d.sent_at end,
                       failed_at = case when o.status = 'failed' then o.finished_at else null end
                from outcome o
                where d.id = o.id and d.claim_id = @ClaimId
                returning d.id
            ), attempt as (
                insert into delivery_attempts (delivery_id, attempt, started_at, finished_at, outcome, detail)
                select o.id, o.attempts, o.started_at, o.finished_at, o.outcome_name, o.reason from outcome o join recorded r on r.id = o.id
            ), failures as (
                insert into outbox (message_id, message_type, body, headers)
                select o.message_id::uuid, o.message_type, o.body::jsonb, o.headers::jsonb from outcome o join recorded r on r.id = o.id
                where o.message_id is not null
                order by o.position
            ), sent as (
                insert into outbox (message_id, message_type, body, headers)
                select @TogetherId, @TogetherType, jsonb_build_object(@TogetherProperty::text, jsonb_agg(o.sent::jsonb order by o.position)),
                       @TogetherHeaders::jsonb
                from outcome o join recorded r on r.id = o.id
                where o.sent is not null
                having count(*) > 0
            )
            select id from recorded
            """,
            new
            {
                ClaimId = claimId,
                Ids = outcomes.Select(o => o.Id).ToArray(),
                Statuses = outcomes.Select(o => o.Status).ToArray(),
                OutcomeNames = outcomes.Select(o => o.OutcomeName).ToArray(),
                Reasons = outcomes.Select(o => o.Reason).ToArray(),
                Attempts = outcomes.Select(o => o.Attempts).ToArray(),
                Rounds = outcomes.Select(o => o.Round).ToArray(),
                Waits = outcomes.Select(o => o.Wait).ToArray(),
                StartedAts = outcomes.Select(o => o.StartedAt).ToArray(),
                FinishedAts = outcomes.Select(o => o.FinishedAt).ToArray(),
                MessageIds = outcomes.Select(o => o.Failure?.MessageId.ToString()).ToArray(),
                MessageTypes = outcomes.Select(o => o.Failure?.MessageType).ToArray(),
                Bodies = outcomes.Select(o => o.Failure?.Body).ToArray(),
                Headers = outcomes.Select(o => o.Failure?.Headers).ToArray(),
                Sent = outcomes.Select(o => o.Sent).ToArray(),
                TogetherId = together.MessageId,
                TogetherType = together.MessageType,
                TogetherProperty = NotificationsProperty,
                TogetherHeaders = together.Headers,
            }, cancellationToken: cancellationToken));
        return recorded.ToHashSet();
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
