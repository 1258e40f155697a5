using Accountability.Escalation.Features.Calendar;
using Accountability.Escalation.Features.Clocks;
using Xunit;

namespace Accountability.Escalation.Tests.Clocks;

public sealed class ClockMathTests
{
    private static readonly BusinessCalendar Calendar = new(TimeZoneInfo.Utc, new TimeOnly(8, 0), new TimeOnly(17, 0),
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], []);

    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero); // a Monday

    [Fact]
    public void A_calendar_clock_warns_at_its_percentages_and_is_due_at_its_budget()
    {
        var run = new ClockRun(Start, TimeSpan.FromHours(2), false, []);
        Assert.Equal(Start.AddHours(1), ClockMath.InstantOf(run, Calendar, 50, Start));
        Assert.Equal(Start.AddMinutes(108), ClockMath.InstantOf(run, Calendar, 90, Start));
        Assert.Equal(Start.AddHours(2), ClockMath.DueAt(run, Calendar, Start));
        Assert.Equal(75, ClockMath.ElapsedPercent(run, Calendar, Start.AddMinutes(90)));
    }

    [Fact]
    public void A_pause_moves_the_deadline_by_exactly_its_length()
    {
        var run = new ClockRun(Start, TimeSpan.FromDays(365), false,
            [new ClockPause(Start.AddDays(10), Start.AddDays(40), "civil-litigation", "p-1012")]);
        Assert.Equal(Start.AddDays(395), ClockMath.DueAt(run, Calendar, Start.AddDays(50)));
        Assert.Equal(TimeSpan.FromDays(20), ClockMath.Spent(run, Calendar, Start.AddDays(50)));
    }

    [Fact]
    public void While_paused_the_elapsed_time_stands_still_and_the_deadline_moves_with_the_clock()
    {
        var run = new ClockRun(Start, TimeSpan.FromDays(365), false,
            [new ClockPause(Start.AddDays(100), null, "criminal-investigation-pending", "p-1012")]);
        var early = Start.AddDays(150);
        var late = Start.AddDays(300);
        Assert.Equal(ClockMath.ElapsedPercent(run, Calendar, early), ClockMath.ElapsedPercent(run, Calendar, late));
        Assert.Equal(early.AddDays(265), ClockMath.DueAt(run, Calendar, early));
        Assert.Equal(late.AddDays(265), ClockMath.DueAt(run, Calendar, late));
    }

    [Fact]
    public void A_warning_already_passed_before_a_pause_stays_where_it_was()
    {
        var run = new ClockRun(Start, TimeSpan.FromDays(100), false,
            [new ClockPause(Start.AddDays(60), Start.AddDays(70), "written-waiver", "p-1012")]);
        Assert.Equal(Start.AddDays(50), ClockMath.InstantOf(run, Calendar, 50, Start.AddDays(80)));
        Assert.Equal(Start.AddDays(85), ClockMath.InstantOf(run, Calendar, 75, Start.AddDays(80)));
    }

    [Fact]
    public void A_business_clock_does_not_count_nights_weekends_or_its_pauses()
    {
        // Monday 09:00 + 9 business hours is Tuesday 09:00; a pause over Monday afternoon pushes it by the paused business hours.
        var run = new ClockRun(Start, TimeSpan.FromHours(9), true,
            [new ClockPause(Start.AddHours(4), Start.AddHours(30), "written-waiver", "p-1012")]);
        // Counted: Monday 09:00–13:00 (4h); paused until Tuesday 15:00; then 15:00–17:00 (2h) and Wednesday 08:00–11:00 (3h).
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 11, 0, 0, TimeSpan.Zero), ClockMath.DueAt(run, Calendar, Start.AddHours(31)));
    }

    [Fact]
    public void A_stopped_clock_keeps_the_percentage_it_reached()
    {
        var run = new ClockRun(Start, TimeSpan.FromHours(2), false, [], StoppedAt: Start.AddMinutes(30));
        Assert.Equal(25, ClockMath.ElapsedPercent(run, Calendar, Start.AddDays(3)));
    }
}
