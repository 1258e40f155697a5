using Accountability.Messaging.Relay;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>
/// What counts as a stuck channel for the watchdog (<see cref="PublishStall"/>). BrokerNodeLossTests stalled for three
/// minutes, twice, with a relay whose batches were partly answered (nacks, confirms) and partly unanswered: the answers
/// had counted, so the stall kept starting over and the watchdog never ended the process.
/// </summary>
public sealed class PublishStallTests
{
    private static readonly DateTimeOffset First = DateTimeOffset.UtcNow;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    [Fact]
    public void A_batch_of_nacks_and_timeouts_with_no_confirm_keeps_the_stall_that_began_before_it()
    {
        var stall = new PublishStall();
        stall.Record(First, confirmed: 0, timedOut: 100, Wait);
        var since = stall.StalledSince;

        stall.Record(First.AddSeconds(40), confirmed: 0, timedOut: 89, Wait);

        Assert.NotNull(since);
        Assert.Equal(since, stall.StalledSince);
        Assert.Equal(First.AddSeconds(40), stall.LastTimedOutBatchStartedAt);
    }

    [Fact]
    public void A_batch_of_nacks_and_timeouts_begins_a_stall_when_none_was_under_way()
    {
        var stall = new PublishStall();

        stall.Record(First, confirmed: 0, timedOut: 3, Wait);

        Assert.NotNull(stall.StalledSince);
        Assert.Equal(First, stall.LastTimedOutBatchStartedAt);
    }

    [Fact]
    public void Confirms_beside_timeouts_keep_the_stall_since_the_queue_that_lost_its_leader_may_be_all_that_is_stuck()
    {
        var stall = new PublishStall();
        stall.Record(First, confirmed: 0, timedOut: 100, Wait);
        var since = stall.StalledSince;

        stall.Record(First.AddSeconds(40), confirmed: 12, timedOut: 88, Wait);

        Assert.Equal(since, stall.StalledSince);
        Assert.Equal(First.AddSeconds(40), stall.LastTimedOutBatchStartedAt);
    }

    [Fact]
    public void A_batch_answered_in_full_ends_the_stall()
    {
        var stall = new PublishStall();
        stall.Record(First, confirmed: 0, timedOut: 100, Wait);

        stall.Record(First.AddSeconds(5), confirmed: 99, timedOut: 0, Wait);

        Assert.Null(stall.StalledSince);
        Assert.Null(stall.LastTimedOutBatchStartedAt);
    }

    [Fact]
    public void A_batch_the_broker_only_refused_neither_begins_nor_ends_a_stall()
    {
        var stall = new PublishStall();
        stall.Record(First, confirmed: 0, timedOut: 0, Wait);
        Assert.Null(stall.StalledSince);

        stall.Record(First.AddSeconds(5), confirmed: 0, timedOut: 100, Wait);
        var since = stall.StalledSince;
        stall.Record(First.AddSeconds(40), confirmed: 0, timedOut: 0, Wait);

        Assert.NotNull(since);
        Assert.Equal(since, stall.StalledSince);
        Assert.Equal(First.AddSeconds(5), stall.LastTimedOutBatchStartedAt);
    }

    [Fact]
    public void The_stall_remembers_how_long_the_latest_unanswered_batch_waited_so_a_fresh_connection_is_given_as_long()
    {
        var stall = new PublishStall();
        stall.Record(First, confirmed: 0, timedOut: 100, TimeSpan.FromSeconds(2));
        stall.Record(First.AddSeconds(3), confirmed: 0, timedOut: 100, TimeSpan.FromSeconds(4));
        stall.Record(First.AddSeconds(8), confirmed: 0, timedOut: 0, TimeSpan.FromSeconds(8));

        Assert.Equal(TimeSpan.FromSeconds(4), stall.LastTimedOutWait);
    }
}
