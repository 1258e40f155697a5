using Accountability.Escalation.Features.Calendar;

namespace Accountability.Escalation.Features.Policies;

/// <summary>How long one clock may run: an amount of calendar or business time.</summary>
public sealed record ClockLimit(decimal Amount, string Unit)
{
    public const string Hours = "hours";
    public const string Days = "days";
    public const string BusinessHours = "business-hours";
    public const string BusinessDays = "business-days";

    public static readonly IReadOnlyList<string> Units = [Hours, Days, BusinessHours, BusinessDays];

    public bool IsBusinessTime => Unit is BusinessHours or BusinessDays;

    /// <summary>The budget in (calendar or business) time. A business day is one day of opening hours.</summary>
    public TimeSpan Budget(BusinessCalendar calendar) => Unit switch
    {
        Hours or BusinessHours => TimeSpan.FromHours((double)Amount),
        Days => TimeSpan.FromDays((double)Amount),
        BusinessDays => calendar.BusinessDayLength * (double)Amount,
        _ => throw new InvalidOperationException($"Unknown clock unit '{Unit}'."),
    };
}

/// <summary>
/// One version of the SLA policy for a category (or "*") and a priority. Versions of one
/// (category, priority) follow each other in time: each runs from its EffectiveFrom until the next.
/// </summary>
public sealed record SlaPolicy
{
    public const string AnyCategory = "*";

    public required string Category { get; init; }
    public required string Priority { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset EffectiveFrom { get; init; }
    public required IReadOnlyDictionary<string, ClockLimit> Clocks { get; init; }
    public required IReadOnlyList<int> WarnAtPercent { get; init; }
    public required string Reason { get; init; }
    public required string CreatedBy { get; init; }

    /// <summary>What a case records: which policy it runs under, for life.</summary>
    public PolicyKey Key => new(Category, Priority, Version);
}

public sealed record PolicyKey(string Category, string Priority, int Version);
