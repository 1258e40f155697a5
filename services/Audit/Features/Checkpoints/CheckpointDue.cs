namespace Accountability.Audit.Features.Checkpoints;

/// <summary>
/// Whether this instance's appends may have made a checkpoint due since the signer last looked, so that
/// an append wakes the signer only when it should sign. After a look that found everything signed, the first
/// append wakes it (it must start the oldest record's age clock); after a look that found records unsigned
/// but not yet due, only enough appends to reach Audit:CheckpointEveryEvents do, and the signer's own timer
/// covers the age. Thread-safe: consumers call <see cref="Appended"/> concurrently with the signer's look.
/// </summary>
public sealed class CheckpointDue(int everyEvents)
{
    private long appendedSinceLook;
    // Appends that make a checkpoint due by count; 1 while everything is signed, so that the first one wakes the signer.
    private long wakeAfter = 1;

    /// <summary>Counts appended records; true when the signer should look now.</summary>
    public bool Appended(int records) =>
        Interlocked.Add(ref appendedSinceLook, records) >= Interlocked.Read(ref wakeAfter);

    /// <summary>The signer starts a look: what is appended from now on is news to it.</summary>
    public void Looking() => Interlocked.Exchange(ref appendedSinceLook, 0);

    /// <summary>
    /// The look found every record signed, or signed them. True when an append during the look (perhaps after
    /// its head was read) already calls for another.
    /// </summary>
    public bool AllSigned() => WakeAfter(1);

    /// <summary>The look found <paramref name="unsigned"/> records unsigned, not yet due; true as for <see cref="AllSigned"/>.</summary>
    public bool Unsigned(long unsigned) => WakeAfter(Math.Max(1, everyEvents - unsigned));

    private bool WakeAfter(long appends)
    {
        Interlocked.Exchange(ref wakeAfter, appends);
        return Interlocked.Read(ref appendedSinceLook) >= appends;
    }
}
