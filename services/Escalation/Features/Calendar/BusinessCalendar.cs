namespace Accountability.Escalation.Features.Calendar;

/// <summary>
/// Business time on one calendar: opening hours on working days, in one time zone, minus holidays.
/// Pure arithmetic, no clock: every instant is given. Hours are local wall-clock times, so a DST
/// change moves the UTC instants of opening and closing, never the local ones.
/// </summary>
public sealed class BusinessCalendar
{
    // Ten years of days is far beyond any policy; a loop that needs more means an empty calendar.
    private const int MaxDaysScanned = 3660;

    public BusinessCalendar(TimeZoneInfo zone, TimeOnly opens, TimeOnly closes, IEnumerable<DayOfWeek> workdays, IEnumerable<DateOnly> holidays)
    {
        if (closes <= opens)
            throw new ArgumentException($"Business hours must close after they open ({opens:HH\\:mm}–{closes:HH\\:mm}).", nameof(closes));
        Zone = zone;
        Opens = opens;
        Closes = closes;
        Workdays = workdays.ToHashSet();
        if (Workdays.Count == 0)
            throw new ArgumentException("A business calendar needs at least one working day.", nameof(workdays));
        Holidays = holidays.ToHashSet();
    }

    public TimeZoneInfo Zone { get; }
    public TimeOnly Opens { get; }
    public TimeOnly Closes { get; }
    public IReadOnlySet<DayOfWeek> Workdays { get; }
    public IReadOnlySet<DateOnly> Holidays { get; }

    /// <summary>The business time in one ordinary business day (local hours; a DST day is not ordinary and is measured as it is).</summary>
    public TimeSpan BusinessDayLength => Closes - Opens;

    public bool IsBusinessDay(DateOnly date) => Workdays.Contains(date.DayOfWeek) && !Holidays.Contains(date);

    /// <summary>The instant when <paramref name="amount"/> of business time has passed after <paramref name="start"/>.</summary>
    public DateTimeOffset AddBusinessTime(DateTimeOffset start, TimeSpan amount)
    {
        if (amount <= TimeSpan.Zero)
            return start;
        var remaining = amount;
        var date = LocalDate(start);
        for (var scanned = 0; scanned < MaxDaysScanned; scanned++, date = date.AddDays(1))
        {
            if (Window(date) is not var (open, close))
                continue;
            var from = open > start ? open : start;
            if (close <= from)
                continue;
            var available = close - from;
            if (remaining <= available)
                return from + remaining;
            remaining -= available;
        }
        throw new InvalidOperationException($"No business time found within {MaxDaysScanned} days of {start:O}.");
    }

    /// <summary>The business time inside [from, to); zero when to is not after from.</summary>
    public TimeSpan BusinessTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
            return TimeSpan.Zero;
        var total = TimeSpan.Zero;
        var last = LocalDate(to);
        for (var date = LocalDate(from); date <= last; date = date.AddDays(1))
        {
            if (Window(date) is not var (open, close))
                continue;
            var start = open > from ? open : from;
            var end = close < to ? close : to;
            if (end > start)
                total += end - start;
        }
        return total;
    }

    /// <summary>The UTC opening and closing instants of a business day; null for weekends and holidays.</summary>
    public (DateTimeOffset Open, DateTimeOffset Close)? Window(DateOnly date) =>
        IsBusinessDay(date) ? (ToInstant(date, Opens), ToInstant(date, Closes)) : null;

    public DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    /// <summary>A local wall-clock time as an instant. A time skipped by a DST change counts from the moment the clocks jump.</summary>
    public DateTimeOffset ToInstant(DateOnly date, TimeOnly time)
    {
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        if (Zone.IsInvalidTime(local))
        {
            // Walk forward to the first valid minute: the instant the clocks jumped.
            while (Zone.IsInvalidTime(local))
                local = local.AddMinutes(1);
        }
        // An ambiguous time (the repeated hour in autumn) takes the standard offset, the later of the two.
        return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime();
    }
}
