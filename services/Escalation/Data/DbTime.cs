namespace Accountability.Escalation.Data;

/// <summary>Npgsql reads timestamptz as UTC DateTime and writes only offset-zero DateTimeOffsets.</summary>
public static class DbTime
{
    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public static DateTimeOffset? Utc(DateTime? value) => value is { } v ? Utc(v) : null;

    public static DateTimeOffset ForDb(this DateTimeOffset value) => value.ToUniversalTime();
}
