using System.Diagnostics;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Escalation;
using Accountability.Escalation.Data;
using Accountability.Escalation.Features.Calendar;
using Accountability.Escalation.Features.Escalations;
using Accountability.Messaging.Database;
using Accountability.Messaging.Migrations;
using Accountability.Messaging.Outbox;
using Accountability.ServiceDefaults.Telemetry;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Accountability.Escalation.Features.Timers;

/// <summary>
/// Fires due timers. Each timer is claimed with SKIP LOCKED and fired in its own transaction, which
/// also locks its case, writes the events to the outbox and marks the timer: with any number of
/// instances a timer fires once in effect. After downtime the overdue ones fire in instant order,
/// marked late with their lateness.
/// </summary>
public sealed class TimerPoller(
    ServiceDatabase database,
    PolicyStore policyStore,
    TimeProvider time,
    BusinessCalendar calendar,
    TimerWakeUp wakeUp,
    MigrationGate migrations,
    IOptions<EscalationOptions> options,
    ILogger<TimerPoller> logger) : BackgroundService
{
    public static readonly ActivitySource Source = new("Accountability.Escalation");

    private static readonly string Instance = $"{Environment.MachineName}-{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Keep going while timers are due; then sleep until the next comes due, but never past the poll interval:
                // a consumer only wakes us for a timer that is due already, so one set for a few seconds ahead is picked up within the interval.
                if (await FireNextAsync(stoppingToken) is { } lookAgainIn)
                    await wakeUp.WaitAsync(lookAgainIn, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Timer poller failed; retrying");
                try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    /// <summary>
    /// The claim found no timer it could take. A due one it passed over is held by another instance, which fires or
    /// supersedes it; looking again before then only finds it held again. So the wait is until the first timer comes due
    /// that was not due at the claim (<paramref name="claimedAt"/>), at most <paramref name="longest"/>.
    /// </summary>
    private async Task<TimeSpan> NothingClaimableAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset claimedAt, TimeSpan longest, CancellationToken cancellationToken)
    {
        var next = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "select min(fire_at) from timers where state = 'pending' and fire_at > @claimedAt",
            new { claimedAt = claimedAt.ForDb() }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        if (next is null)
            return longest;
        var wait = DbTime.Utc(next.Value) - time.GetUtcNow();
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait < longest ? wait : longest;
    }

    /// <summary>
    /// Claims and handles one due timer. Returns null when it handled one, otherwise how long until one may be claimed.
    /// </summary>
    public async Task<TimeSpan?> FireNextAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var timer = await connection.QuerySingleOrDefaultAsync<DueTimer>(new CommandDefinition(
            """
            select timer_id as TimerId, case_id as CaseId, clock as Clock, run as Run, generation as Generation, percent as Percent, fire_at as FireAt
            from timers where state = 'pending' and fire_at <= @now
            order by fire_at, timer_id limit 1
            for update skip locked
            """, new { now = now.ForDb() }, transaction, cancellationToken: cancellationToken));
        if (timer is null)
            return await NothingClaimableAsync(connection, transaction, now, options.Value.TimerPollInterval, cancellationToken);

        var @case = await CaseClockStore.LockCaseAsync(transaction, timer.CaseId, cancellationToken);
        var clock = (await CaseClockStore.ClocksAsync(connection, transaction, timer.CaseId, cancellationToken)).FirstOrDefault(c => c.Clock == timer.Clock);
        var policy = @case?.Policy is { } key ? (await policyStore.HoldingAsync(connection, transaction, [key], cancellationToken)).Find(key) : null;

        using var activity = Source.StartActivity("escalation timer", ActivityKind.Internal);
        activity.TagCase(timer.CaseId, $"timer:{timer.Clock}:{timer.Percent}", clock?.OwnerKind ?? @case?.OwnerKind, clock?.OwnerId ?? @case?.OwnerId);

        // Stale: the clock restarted, stopped, paused or moved its deadline since this timer was set,
        // or this threshold already fired in this run (a late timer of an older generation).
        if (@case is null || clock is null || policy is null || clock.State != "running" || clock.Run != timer.Run
            || clock.Generation != timer.Generation || clock.FiredPercents.Contains(timer.Percent))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "update timers set state = 'superseded' where timer_id = @TimerId", new { timer.TimerId }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return null;
        }

        var fireAt = DbTime.Utc(timer.FireAt);
        var lateness = now - fireAt;
        var late = lateness > options.Value.LateAfter;
        var dueAt = Features.Clocks.ClockMath.DueAt(clock.ToRun(policy, calendar), calendar, now);
        // A person or unit clock (acknowledge, handoff) belongs to the owner it started for; the case clocks to the case's owner.
        var ownerKind = clock.OwnerKind ?? @case.OwnerKind ?? "unit";
        var ownerId = clock.OwnerId ?? @case.OwnerId ?? "unknown";
        if (clock.Clock != SlaClocks.HandoffAccept && @case.OwnerKind is not null)
            (ownerKind, ownerId) = (@case.OwnerKind, @case.OwnerId!);
        const string actor = "system:escalation";

        if (timer.Percent < TimerSchedule.BreachPercent)
        {
            await OutboxWriter.EnqueueAsync(transaction, new SlaWarning
            {
                CaseId = timer.CaseId,
                CaseVersion = await CaseClockStore.NextEventVersionAsync(transaction, timer.CaseId, cancellationToken),
                Actor = actor,
                Reason = $"{timer.Percent}% of the {timer.Clock} time has passed; due {dueAt:O}.",
                OccurredAt = now,
                Clock = timer.Clock,
                Percent = timer.Percent,
                DueAt = dueAt,
                OwnerKind = ownerKind,
                OwnerId = ownerId,
                PolicyVersion = policy.Version,
                ScheduledFor = fireAt,
                Late = late,
                Lateness = lateness < TimeSpan.Zero ? TimeSpan.Zero : lateness,
            }, cancellationToken);
        }
        else
        {
            await OutboxWriter.EnqueueAsync(transaction, new SlaBreached
            {
                CaseId = timer.CaseId,
                CaseVersion = await CaseClockStore.NextEventVersionAsync(transaction, timer.CaseId, cancellationToken),
                Actor = actor,
                Reason = $"The {timer.Clock} time ran out at {dueAt:O}.",
                OccurredAt = now,
                Clock = timer.Clock,
                Percent = TimerSchedule.BreachPercent,
                DueAt = dueAt,
                OwnerKind = ownerKind,
                OwnerId = ownerId,
                PolicyVersion = policy.Version,
                Late = late,
                Lateness = lateness < TimeSpan.Zero ? TimeSpan.Zero : lateness,
            }, cancellationToken);
            var chain = await OrgDirectoryStore.LatestAsync(connection, transaction, cancellationToken);
            var plan = EscalationDecider.OnBreach(timer.Clock, ownerKind, ownerId, @case.EscalationLevel, chain?.ForCase(@case.SubjectBadges));
            await EscalationWriter.RaiseAsync(transaction, timer.CaseId, timer.Clock, ownerKind, ownerId, plan, "timer", now, cancellationToken);
            activity?.SetTag("accountability.escalation.outcome", plan.Outcome);
        }

        // The clock keeps one timer: this threshold's, fired now, is followed by the next one of the same run and generation.
        var next = TimerSchedule.Next(clock.ToRun(policy, calendar), policy, [.. clock.FiredPercents, timer.Percent], calendar, now);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            update clocks set fired_percents = array_append(fired_percents, @Percent),
                breached_at = case when @Percent = 100 then @now else breached_at end, written_at = now()
            where case_id = @CaseId and clock = @Clock;
            update timers set state = 'fired', fired_at = @now, late = @late, lateness = @lateness, fired_by = @Instance where timer_id = @TimerId;
            insert into timers (case_id, clock, run, generation, percent, fire_at)
            select @CaseId, @Clock, @Run, @Generation, @nextPercent, @nextFireAt where @nextPercent is not null
            on conflict do nothing
            """,
            new
            {
                timer.Percent, now = now.ForDb(), timer.CaseId, timer.Clock, late, lateness, Instance, timer.TimerId, timer.Run, timer.Generation,
                nextPercent = next?.Percent, nextFireAt = next?.FireAt.ForDb(),
            }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        if (late)
            logger.LogInformation("Timer {Clock} {Percent}% of case {CaseId} fired late by {Lateness}", timer.Clock, timer.Percent, timer.CaseId, lateness);
        return null;
    }

    private sealed record DueTimer(long TimerId, Guid CaseId, string Clock, int Run, int Generation, int Percent, DateTime FireAt);
}
