using Accountability.Escalation.Features.Calendar;
using Accountability.Escalation.Features.Clocks;
using Accountability.Escalation.Features.Policies;

namespace Accountability.Escalation.Features.Timers;

/// <summary>When each remaining threshold of a running clock falls due. Pure.</summary>
public static class TimerSchedule
{
    public const int BreachPercent = 100;

    /// <summary>The warnings of the policy and the breach, minus those already fired in this run, with their instants as of <paramref name="now"/>.</summary>
    public static IReadOnlyList<(int Percent, DateTimeOffset FireAt)> Remaining(
        ClockRun run, SlaPolicy policy, IReadOnlyCollection<int> firedPercents, BusinessCalendar calendar, DateTimeOffset now) =>
        policy.WarnAtPercent.Append(BreachPercent)
            .Where(percent => !firedPercents.Contains(percent))
            .Select(percent => (percent, ClockMath.InstantOf(run, calendar, percent, now)))
            .ToList();

    /// <summary>
    /// The threshold that comes due first of those not yet fired in this run, or null when all have. A clock keeps only this
    /// one as a timer: the poller sets the next when it fires it, so a case holds one pending timer per running clock, not
    /// every threshold of every run it ever began.
    /// </summary>
    public static (int Percent, DateTimeOffset FireAt)? Next(
        ClockRun run, SlaPolicy policy, IReadOnlyCollection<int> firedPercents, BusinessCalendar calendar, DateTimeOffset now) =>
        Remaining(run, policy, firedPercents, calendar, now) is { Count: > 0 } remaining
            ? remaining.MinBy(threshold => (threshold.FireAt, threshold.Percent))
            : null;

    public static ClockRun RunOf(SlaPolicy policy, string clock, DateTimeOffset startedAt, IReadOnlyList<ClockPause> pauses, DateTimeOffset? stoppedAt, BusinessCalendar calendar)
    {
        var limit = policy.Clocks[clock];
        return new ClockRun(startedAt, limit.Budget(calendar), limit.IsBusinessTime, pauses, stoppedAt);
    }
}
