using System.Globalization;

namespace Accountability.Audit.Features.Replay;

/// <summary>Instants in query strings and CLI options: ISO 8601 with an explicit offset or Z, never local time.</summary>
public static class Instants
{
    public const string Expected = "Must be an ISO 8601 instant with an offset, e.g. 2026-03-03T14:05:00Z.";

    public static bool TryParse(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 11 || !HasOffset(text))
            return false;
        // Within range once in UTC and rounded to PostgreSQL's microseconds (year 9999 can overflow).
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out instant)
            || instant.UtcDateTime.Year is < 1 or > 9998)
            return false;
        instant = instant.ToUniversalTime(); // Npgsql writes timestamptz only from UTC; the instant is the same.
        return true;
    }

    public static DateTimeOffset? ParseOptional(string? text, string field, Dictionary<string, string[]> errors)
    {
        if (text is null)
            return null;
        if (TryParse(text, out var instant))
            return instant;
        errors[field] = [Expected];
        return null;
    }

    // "2026-03-03T14:05" is ambiguous (whose 14:05?); an audit question needs an unambiguous instant.
    private static bool HasOffset(string text)
    {
        var time = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        if (time < 0)
            return false;
        var tail = text[(time + 1)..];
        return tail.EndsWith('Z') || tail.EndsWith('z') || tail.Contains('+') || tail.Contains('-');
    }
}
