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

    public static ClockRun RunOf(SlaPolicy policy, string clock, DateTimeOffset startedAt, IReadOnlyList<ClockPause> pauses, DateTimeOffset? stoppedAt, BusinessCalendar calendar)
    {
        var limit = policy.Clocks[clock];
        return new ClockRun(startedAt, limit.Budget(calendar), limit.IsBusinessTime, pauses, stoppedAt);
    }
}
