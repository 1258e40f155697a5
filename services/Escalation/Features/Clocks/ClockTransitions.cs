using System.Text.Json;
using Accountability.Escalation.Data;

namespace Accountability.Escalation.Features.Clocks;

/// <summary>
/// What one clock action makes of a clock, as a row. Pure: the store reads a case's clocks under the case's row lock, folds
/// the actions of its events onto them here, and writes every clock that changed, of every case in a group, in one statement.
/// </summary>
public static class ClockTransitions
{
    /// <summary>The clock after <paramref name="action"/>; null when the action is stale or was already applied, so nothing is written.</summary>
    public static ClockRow? Apply(Guid caseId, ClockRow? existing, ClockAction action)
    {
        var at = StoredInstant(action.At);
        switch (action)
        {
            case ClockAction.StartRun start when existing is null:
                return New(caseId, action, "running", at, stoppedAt: null, start.OwnerKind, start.OwnerId, start.HandoffId);
            case ClockAction.StartRun start when action.Version > existing.Version:
                return existing with
                {
                    State = "running", Run = existing.Run + 1, Generation = existing.Generation + 1, StartedAt = at, StoppedAt = null,
                    Pauses = "[]", OwnerKind = start.OwnerKind, OwnerId = start.OwnerId, HandoffId = start.HandoffId,
                    FiredPercents = [], BreachedAt = null, Version = action.Version,
                };
            case ClockAction.StartOnce when existing is null:
                return New(caseId, action, "running", at, stoppedAt: null, null, null, null);
            case ClockAction.Stop when existing is null:
                // Remember the stop, so that the older start arriving after it is recognised as stale.
                return New(caseId, action, "stopped", at, stoppedAt: at, null, null, null);
            case ClockAction.Stop stop when action.Version > existing.Version:
                // A handoff that ended is the pending one only if the ids agree (or the stop names none).
                if (stop.HandoffId is { } ended && existing.HandoffId is { } pending && ended != pending)
                    return null;
                var alreadyStopped = existing.State == "stopped";
                return existing with
                {
                    State = "stopped",
                    StoppedAt = alreadyStopped ? existing.StoppedAt : at,
                    Generation = existing.Generation + (alreadyStopped ? 0 : 1),
                    Version = action.Version,
                };
            case ClockAction.Restart when existing is { State: "stopped", StoppedAt: { } stoppedAt } && action.Version > existing.Version:
                // The time it stood stopped does not count: recorded as a pause, so the arithmetic stays one rule.
                var pauses = existing.PauseList.Append(new ClockPause(DbTime.Utc(stoppedAt), action.At, "stopped while resolved", "system:escalation"));
                return existing with
                {
                    State = "running", StoppedAt = null, Pauses = JsonSerializer.Serialize(pauses.ToList(), CaseClockStore.Json),
                    Generation = existing.Generation + 1, Version = action.Version,
                };
        }
        return null;
    }

    /// <summary>
    /// An instant as PostgreSQL keeps it: UTC, to the microsecond. Npgsql truncated the ticks it wrote; the clocks are now
    /// written as JSON, which PostgreSQL would round, so they are cut here, and what the store computes from them is what it stored.
    /// </summary>
    public static DateTime StoredInstant(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        return new DateTime(utc.Ticks - utc.Ticks % 10, DateTimeKind.Utc);
    }

    private static ClockRow New(Guid caseId, ClockAction action, string state, DateTime at, DateTime? stoppedAt, string? ownerKind, string? ownerId, Guid? handoffId) =>
        new()
        {
            CaseId = caseId, Clock = action.Clock, State = state, Run = 1, Generation = 1, StartedAt = at, StoppedAt = stoppedAt,
            OwnerKind = ownerKind, OwnerId = ownerId, HandoffId = handoffId, Version = action.Version,
        };
}
