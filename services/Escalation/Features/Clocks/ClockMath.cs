using Accountability.Escalation.Features.Calendar;

namespace Accountability.Escalation.Features.Clocks;

/// <summary>A pause of a clock; To is null while it lasts.</summary>
public sealed record ClockPause(DateTimeOffset From, DateTimeOffset? To, string Reason, string Actor);

/// <summary>One run of a clock, as far as the deadline arithmetic needs it.</summary>
public sealed record ClockRun(
    DateTimeOffset StartedAt,
    TimeSpan Budget,
    bool BusinessTime,
    IReadOnlyList<ClockPause> Pauses,
    DateTimeOffset? StoppedAt = null);

/// <summary>
/// Deadline arithmetic for one clock run: how much of its budget is spent, when a percentage of it
/// will be, and so when it is due. Paused intervals do not count; in business time, only opening
/// hours count. Pure: "now" is always a parameter.
/// </summary>
public static class ClockMath
{
    /// <summary>The budget spent by <paramref name="now"/> (or by the stop, if earlier).</summary>
    public static TimeSpan Spent(ClockRun run, BusinessCalendar calendar, DateTimeOffset now)
    {
        var until = run.StoppedAt is { } stopped && stopped < now ? stopped : now;
        var spent = TimeSpan.Zero;
        foreach (var (from, to) in RunningIntervals(run, until))
            spent += Measure(run, calendar, from, to ?? until);
        return spent;
    }

    public static double ElapsedPercent(ClockRun run, BusinessCalendar calendar, DateTimeOffset now) =>
        run.Budget <= TimeSpan.Zero ? 100 : Math.Round(100.0 * Spent(run, calendar, now) / run.Budget, 1);

    /// <summary>
    /// The instant when <paramref name="percent"/> of the budget will have been spent, assuming no
    /// pause after <paramref name="now"/>. A clock paused at <paramref name="now"/> is taken as
    /// resuming at <paramref name="now"/>, so its due instant moves forward while the pause lasts.
    /// </summary>
    public static DateTimeOffset InstantOf(ClockRun run, BusinessCalendar calendar, double percent, DateTimeOffset now)
    {
        var remaining = run.Budget * (percent / 100.0);
        DateTimeOffset? openFrom = null;
        foreach (var (from, to) in RunningIntervals(run, now))
        {
            if (to is null)
            {
                openFrom = from;
                break;
            }
            var spent = Measure(run, calendar, from, to.Value);
            if (spent >= remaining)
                return Add(run, calendar, from, remaining);
            remaining -= spent;
        }
        return Add(run, calendar, openFrom ?? (now > run.StartedAt ? now : run.StartedAt), remaining);
    }

    public static DateTimeOffset DueAt(ClockRun run, BusinessCalendar calendar, DateTimeOffset now) => InstantOf(run, calendar, 100, now);

    /// <summary>The total time a clock has been paused by <paramref name="now"/>.</summary>
    public static TimeSpan PausedFor(ClockRun run, DateTimeOffset now) =>
        run.Pauses.Aggregate(TimeSpan.Zero, (sum, p) => sum + ((p.To ?? now) > p.From ? (p.To ?? now) - p.From : TimeSpan.Zero));

    /// <summary>The intervals in which the clock counts, up to <paramref name="until"/>; the last has To = null when it is still counting then.</summary>
    private static IEnumerable<(DateTimeOffset From, DateTimeOffset? To)> RunningIntervals(ClockRun run, DateTimeOffset until)
    {
        var cursor = run.StartedAt;
        foreach (var pause in run.Pauses.OrderBy(p => p.From))
        {
            if (pause.From >= until)
                break;
            if (pause.From > cursor)
                yield return (cursor, pause.From);
            if (pause.To is not { } resumed || resumed >= until)
                yield break; // paused at "until": nothing counts after the pause began
            if (resumed > cursor)
                cursor = resumed;
        }
        yield return (cursor, null);
    }

    private static TimeSpan Measure(ClockRun run, BusinessCalendar calendar, DateTimeOffset from, DateTimeOffset to) =>
        to <= from ? TimeSpan.Zero : run.BusinessTime ? calendar.BusinessTimeBetween(from, to) : to - from;

    private static DateTimeOffset Add(ClockRun run, BusinessCalendar calendar, DateTimeOffset from, TimeSpan amount) =>
        run.BusinessTime ? calendar.AddBusinessTime(from, amount) : from + amount;
}
