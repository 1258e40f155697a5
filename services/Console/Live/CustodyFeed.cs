using System.Threading.Channels;

namespace Accountability.Console.Live;

/// <summary>One change to a case that the open boards and inboxes should show.</summary>
public sealed record CaseChange(Guid CaseId, string Event, DateTimeOffset At);

/// <summary>
/// Fans case changes out to every open page of this console instance. Each listener has a small
/// bounded buffer that drops its oldest entries: a slow browser misses signals, never the truth,
/// because a signal only tells the page to fetch its rows again.
/// </summary>
public sealed class CustodyFeed
{
    private readonly Lock gate = new();
    private readonly List<Channel<CaseChange>> listeners = [];

    public int ListenerCount
    {
        get { lock (gate) return listeners.Count; }
    }

    public void Publish(CaseChange change)
    {
        lock (gate)
            foreach (var listener in listeners)
                listener.Writer.TryWrite(change);
    }

    /// <summary>
    /// A page's own buffer of changes, until disposed. A plain channel rather than an async iterator: an iterator
    /// cannot be disposed while a read is pending, which is exactly the state a closing page leaves it in
    /// (it logged a NotSupportedException every time a live page closed).
    /// </summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<CaseChange>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (gate)
            listeners.Add(channel);
        return new Subscription(this, channel);
    }

    public sealed class Subscription(CustodyFeed feed, Channel<CaseChange> channel) : IDisposable
    {
        public ChannelReader<CaseChange> Changes => channel.Reader;

        public void Dispose()
        {
            lock (feed.gate)
                feed.listeners.Remove(channel);
            channel.Writer.TryComplete();
        }
    }
}
