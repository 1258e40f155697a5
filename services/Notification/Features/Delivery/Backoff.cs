namespace Accountability.Notification.Features.Delivery;

/// <summary>
/// Exponential backoff with jitter: the n-th retry waits about initial × 2^(n-1), capped, and then
/// a random 50–100% of that, so deliveries that failed together do not all come back together.
/// </summary>
public static class Backoff
{
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max, Random random)
    {
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 30);
        var ceiling = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + random.NextDouble() * 0.5));
    }
}
