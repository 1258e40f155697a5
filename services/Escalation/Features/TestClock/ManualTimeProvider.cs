namespace Accountability.Escalation.Features.TestClock;

/// <summary>
/// A clock that stands still until it is moved forward, for tests that drive a real process through
/// days of deadlines in seconds. Registered only when Escalation:Clock is "manual".
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock gate = new();
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (gate)
            return now;
    }

    /// <summary>Moves the clock forward; time never runs backwards, so a deadline once passed stays passed.</summary>
    public DateTimeOffset Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(by), "The clock only moves forward.");
        lock (gate)
            return now += by;
    }
}
