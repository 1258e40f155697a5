using Accountability.Escalation.Features.Calendar;
using Xunit;

namespace Accountability.Escalation.Tests.Calendar;

public sealed class BusinessCalendarTests
{
    private static readonly TimeZoneInfo Chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");

    // Thanksgiving 2026 is Thursday 26 November.
    private static readonly BusinessCalendar Riverton = new(Chicago, new TimeOnly(8, 0), new TimeOnly(17, 0),
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday],
        [new DateOnly(2026, 11, 26)]);

    private static DateTimeOffset Local(int year, int month, int day, int hour, int minute = 0, TimeZoneInfo? zone = null)
    {
        var local = new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, (zone ?? Chicago).GetUtcOffset(local));
    }

    [Fact]
    public void One_business_day_from_Monday_afternoon_is_Tuesday_at_the_same_hour()
    {
        var due = Riverton.AddBusinessTime(Local(2026, 3, 2, 16), Riverton.BusinessDayLength);
        Assert.Equal(Local(2026, 3, 3, 16), due);
    }

    [Fact]
    public void Business_hours_that_run_past_Friday_close_continue_on_Monday_morning()
    {
        var due = Riverton.AddBusinessTime(Local(2026, 2, 27, 16), TimeSpan.FromHours(2));
        Assert.Equal(Local(2026, 3, 2, 9), due);
    }

    [Fact]
    public void A_clock_started_on_a_Saturday_starts_counting_on_Monday_at_opening()
    {
        var due = Riverton.AddBusinessTime(Local(2026, 2, 28, 11), TimeSpan.FromMinutes(30));
        Assert.Equal(Local(2026, 3, 2, 8, 30), due);
    }

    [Fact]
    public void A_clock_started_after_closing_starts_counting_at_the_next_opening()
    {
        var due = Riverton.AddBusinessTime(Local(2026, 3, 3, 19), TimeSpan.FromHours(1));
        Assert.Equal(Local(2026, 3, 4, 9), due);
    }

    [Fact]
    public void A_holiday_is_skipped_like_a_weekend()
    {
        // Wednesday 16:00 before Thanksgiving plus one business day: Thursday is a holiday, so Friday 16:00.
        var due = Riverton.AddBusinessTime(Local(2026, 11, 25, 16), Riverton.BusinessDayLength);
        Assert.Equal(Local(2026, 11, 27, 16), due);
        Assert.False(Riverton.IsBusinessDay(new DateOnly(2026, 11, 26)));
    }

    [Fact]
    public void Business_hours_keep_their_local_times_across_the_spring_DST_change()
    {
        // DST began Sunday 8 March 2026 in Chicago: Friday closes at 23:00Z, Monday opens at 13:00Z, not 14:00Z.
        var friday = Local(2026, 3, 6, 16);
        var due = Riverton.AddBusinessTime(friday, TimeSpan.FromHours(2));
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 14, 0, 0, TimeSpan.Zero), due.ToUniversalTime());
        Assert.Equal(TimeSpan.FromHours(-5), Chicago.GetUtcOffset(due));
        // The wall-clock gap is one hour shorter than a normal weekend, but the business time is the same.
        Assert.Equal(TimeSpan.FromHours(64), due - friday); // 65 hours of wall clock in an ordinary week
        Assert.Equal(TimeSpan.FromHours(2), Riverton.BusinessTimeBetween(friday, due));
    }

    [Fact]
    public void Business_hours_keep_their_local_times_across_the_autumn_DST_change()
    {
        // DST ended Sunday 1 November 2026: Monday opens at 14:00Z again.
        var due = Riverton.AddBusinessTime(Local(2026, 10, 30, 16), TimeSpan.FromHours(2));
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 15, 0, 0, TimeSpan.Zero), due.ToUniversalTime());
    }

    [Fact]
    public void An_opening_hour_skipped_by_the_spring_change_opens_when_the_clocks_jump()
    {
        var allWeek = new BusinessCalendar(Chicago, new TimeOnly(2, 30), new TimeOnly(4, 0), Enum.GetValues<DayOfWeek>(), []);
        var window = allWeek.Window(new DateOnly(2026, 3, 8))!.Value;
        // 02:00 CST becomes 03:00 CDT (08:00Z); 04:00 CDT is 09:00Z: only one hour of business that night.
        Assert.Equal(new DateTimeOffset(2026, 3, 8, 8, 0, 0, TimeSpan.Zero), window.Open);
        Assert.Equal(TimeSpan.FromHours(1), window.Close - window.Open);
    }

    [Fact]
    public void The_same_instant_falls_due_differently_in_another_time_zone()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var berlinCalendar = new BusinessCalendar(berlin, new TimeOnly(8, 0), new TimeOnly(17, 0),
            [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], []);
        // Friday 15:00Z: 09:00 in Chicago (8 hours left that day), 16:00 in Berlin (1 hour left).
        var start = new DateTimeOffset(2026, 3, 13, 15, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 3, 13, 17, 0, 0, TimeSpan.Zero), Riverton.AddBusinessTime(start, TimeSpan.FromHours(2)).ToUniversalTime());
        Assert.Equal(new DateTimeOffset(2026, 3, 16, 8, 0, 0, TimeSpan.Zero), berlinCalendar.AddBusinessTime(start, TimeSpan.FromHours(2)).ToUniversalTime());
    }

    [Fact]
    public void Measuring_back_what_was_added_gives_the_same_business_time_from_any_start()
    {
        var random = new Random(20260303);
        var origin = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 2000; i++)
        {
            var start = origin + TimeSpan.FromMinutes(random.Next(0, 60 * 24 * 365 * 2));
            var amount = TimeSpan.FromMinutes(random.Next(1, 60 * 9 * 15));
            var due = Riverton.AddBusinessTime(start, amount);
            Assert.Equal(amount, Riverton.BusinessTimeBetween(start, due));
            Assert.True(Riverton.Window(Riverton.LocalDate(due)) is { } window && due > window.Open && due <= window.Close,
                $"{due:O} (from {start:O} + {amount}) is not inside business hours");
        }
    }

    [Fact]
    public void No_business_time_passes_over_a_weekend_or_backwards()
    {
        Assert.Equal(TimeSpan.Zero, Riverton.BusinessTimeBetween(Local(2026, 2, 27, 17), Local(2026, 3, 2, 8)));
        Assert.Equal(TimeSpan.Zero, Riverton.BusinessTimeBetween(Local(2026, 3, 3, 12), Local(2026, 3, 3, 10)));
    }

    [Fact]
    public void The_shipped_calendar_file_loads_with_its_holidays()
    {
        var calendar = CalendarSettings.Load(TestSupport.RepositoryPaths.File("deploy", "escalation", "calendar.json"));
        Assert.Equal("America/Chicago", calendar.Zone.Id);
        Assert.False(calendar.IsBusinessDay(new DateOnly(2026, 12, 25)));
        Assert.True(calendar.IsBusinessDay(new DateOnly(2026, 12, 28)));
        Assert.Equal(TimeSpan.FromHours(9), calendar.BusinessDayLength);
    }
}
