using Accountability.ServiceDefaults.Http;
using Xunit;

namespace Accountability.Intake.Tests;

/// <summary>The per-client windows behind every anonymous endpoint's 429, on a clock the test moves.</summary>
public sealed class ClientRateLimiterTests
{
    private static readonly ClientRateLimit TwoAMinute = new(2, TimeSpan.FromMinutes(1));

    [Fact]
    public void A_client_over_its_limit_is_told_how_long_is_left_of_its_window_and_the_next_window_lets_it_in_again()
    {
        var clock = new SteppedClock();
        var limiter = new ClientRateLimiter(clock);

        Assert.True(limiter.TryAcquire("filing", "203.0.113.7", TwoAMinute, out _));
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(limiter.TryAcquire("filing", "203.0.113.7", TwoAMinute, out _));
        Assert.False(limiter.TryAcquire("filing", "203.0.113.7", TwoAMinute, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(40), retryAfter);

        clock.Advance(TimeSpan.FromSeconds(40));
        Assert.True(limiter.TryAcquire("filing", "203.0.113.7", TwoAMinute, out _));
    }

    [Fact]
    public void Each_client_and_each_policy_counts_on_its_own()
    {
        var limiter = new ClientRateLimiter(new SteppedClock());
        for (var i = 0; i < 2; i++)
            Assert.True(limiter.TryAcquire("filing", "203.0.113.7", TwoAMinute, out _));

        Assert.False(limiter.TryAcquire("filing", "203.0.113.7", TwoAMinute, out _));
        Assert.True(limiter.TryAcquire("filing", "198.51.100.20", TwoAMinute, out _));
        Assert.True(limiter.TryAcquire("status", "203.0.113.7", TwoAMinute, out _));
    }

    [Fact]
    public void Clients_whose_windows_ended_are_forgotten_by_a_later_request_so_memory_follows_the_recent_callers()
    {
        var clock = new SteppedClock();
        var limiter = new ClientRateLimiter(clock);
        for (var i = 0; i < 100; i++)
            limiter.TryAcquire("filing", $"203.0.113.{i}", TwoAMinute, out _);
        Assert.Equal(100, limiter.Tracked);

        clock.Advance(TimeSpan.FromMinutes(2));
        limiter.TryAcquire("filing", "198.51.100.20", TwoAMinute, out _);

        Assert.Equal(1, limiter.Tracked);
    }

    [Fact]
    public async Task Concurrent_requests_from_one_client_never_get_more_than_the_limit()
    {
        var limiter = new ClientRateLimiter(new SteppedClock());
        var limit = new ClientRateLimit(50, TimeSpan.FromMinutes(1));
        var admitted = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
                if (limiter.TryAcquire("filing", "203.0.113.7", limit, out _))
                    Interlocked.Increment(ref admitted);
        })));

        Assert.Equal(50, admitted);
    }

    private sealed class SteppedClock : TimeProvider
    {
        private DateTimeOffset now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
