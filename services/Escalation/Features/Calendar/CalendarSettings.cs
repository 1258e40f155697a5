using System.Globalization;
using System.Text.Json;

namespace Accountability.Escalation.Features.Calendar;

/// <summary>The business calendar as deploy/escalation/calendar.json holds it.</summary>
public sealed record CalendarSettings
{
    public required string TimeZone { get; init; }
    public required string Opens { get; init; }
    public required string Closes { get; init; }
    public required IReadOnlyList<string> Workdays { get; init; }
    public required IReadOnlyList<Holiday> Holidays { get; init; }

    public sealed record Holiday(DateOnly Date, string Name);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and checks the file; a broken calendar stops the start with the reason, it is never half-used.</summary>
    public static BusinessCalendar Load(string path)
    {
        var settings = JsonSerializer.Deserialize<CalendarSettings>(File.ReadAllText(path), Json)
                       ?? throw new InvalidOperationException($"{path} is empty.");
        return settings.ToCalendar(path);
    }

    public BusinessCalendar ToCalendar(string source)
    {
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        }
        catch (TimeZoneNotFoundException)
        {
            throw new InvalidOperationException($"{source}: unknown time zone '{TimeZone}' (use an IANA id such as America/Chicago).");
        }
        var opens = ParseTime(Opens, "opens", source);
        var closes = ParseTime(Closes, "closes", source);
        var workdays = Workdays.Select(day => Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"{source}: '{day}' is not a day of the week.")).ToList();
        try
        {
            return new BusinessCalendar(zone, opens, closes, workdays, Holidays.Select(h => h.Date));
        }
        catch (ArgumentException invalid)
        {
            throw new InvalidOperationException($"{source}: {invalid.Message}");
        }
    }

    private static TimeOnly ParseTime(string value, string field, string source) =>
        TimeOnly.TryParseExact(value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw new InvalidOperationException($"{source}: {field} must be a local time HH:mm, not '{value}'.");
}
