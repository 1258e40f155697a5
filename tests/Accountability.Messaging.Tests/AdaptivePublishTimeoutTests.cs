using Accountability.Messaging.Relay;
using Xunit;

namespace Accountability.Messaging.Tests;

public sealed class AdaptivePublishTimeoutTests
{
    private static readonly TimeSpan Setting = TimeSpan.FromSeconds(2);

    [Fact]
    public void Each_timed_out_batch_doubles_the_wait_up_to_sixteen_times_the_setting()
    {
        var timeout = new AdaptivePublishTimeout(Setting);
        var seen = new List<TimeSpan> { timeout.Current };
        for (var i = 0; i < 6; i++)
        {
            timeout.TimedOut();
            seen.Add(timeout.Current);
        }

        Assert.Equal([2, 4, 8, 16, 32, 32, 32], seen.Select(t => t.TotalSeconds));
    }

    [Fact]
    public void A_confirmed_batch_brings_the_wait_down_to_four_times_its_slowest_publish_but_never_below_the_setting_nor_up()
    {
        var timeout = new AdaptivePublishTimeout(Setting);
        for (var i = 0; i < 4; i++)
            timeout.TimedOut();
        Assert.Equal(TimeSpan.FromSeconds(32), timeout.Current);

        timeout.Confirmed(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(12), timeout.Current);

        timeout.Confirmed(TimeSpan.FromSeconds(5)); // slower, but confirmed in time: no reason to wait longer
        Assert.Equal(TimeSpan.FromSeconds(12), timeout.Current);

        timeout.Confirmed(TimeSpan.FromMilliseconds(20));
        Assert.Equal(Setting, timeout.Current);
    }
}
