using System.Globalization;

namespace Accountability.Bench;

/// <summary>
/// Counters of processes or threads that come and go (CPU ticks, context switches), read once a second and summed since
/// <see cref="Start"/>. Each is followed by its (pid, tid), so one that ends loses at most its last second; a reading of
/// two points alone lost all of a process that ended between them. What existed at the start counts from its value then;
/// what starts later counts whole; a pid taken again by a new process (its counter lower than last seen) counts anew.
/// </summary>
public sealed class SampledCounters(Func<IEnumerable<(int Pid, int Tid, long Value)>> read) : IAsyncDisposable
{
    private readonly Dictionary<(int Pid, int Tid), (long First, long Last)> followed = [];
    private readonly CancellationTokenSource stop = new();
    private long ended;
    private Task? sampling;
    private bool disposed;

    /// <summary>Counts from now, then reads once a second until disposed.</summary>
    public void Start()
    {
        Sample(atStart: true);
        sampling = SampleEverySecondAsync(stop.Token);
    }

    /// <summary>What the counters grew by since <see cref="Start"/>, read now.</summary>
    public long SoFar()
    {
        Sample(atStart: false);
        lock (followed)
            return ended + followed.Values.Sum(c => c.Last - c.First);
    }

    /// <summary>
    /// The services' tiered-JIT threads (".NET Tiered Com"): their CPU ticks (1/100 s). They compile hot methods again,
    /// optimised, in the background, for minutes after a start at a trickle (a method is promoted after 30 calls), and the
    /// runtime ends such a thread after a few idle seconds and starts another when there is work again. A floor: a method's
    /// first compile runs on the thread that calls it.
    /// </summary>
    public static SampledCounters TieredJitTicks(IReadOnlyList<int> servicePids) => new(() => servicePids.SelectMany(JitThreadsOf));

    private async Task SampleEverySecondAsync(CancellationToken cancellation)
    {
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                await Task.Delay(1000, cancellation);
                Sample(atStart: false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Sample(bool atStart)
    {
        lock (followed)
        {
            foreach (var (pid, tid, value) in read())
            {
                if (!followed.TryGetValue((pid, tid), out var seen))
                    followed[(pid, tid)] = (atStart ? value : 0, value);
                else if (value < seen.Last)
                {
                    ended += seen.Last - seen.First;
                    followed[(pid, tid)] = (0, value);
                }
                else
                    followed[(pid, tid)] = seen with { Last = value };
            }
        }
    }

    private static IEnumerable<(int Pid, int Tid, long Ticks)> JitThreadsOf(int pid)
    {
        List<string> tasks;
        try
        {
            tasks = Directory.EnumerateDirectories($"/proc/{pid}/task").ToList();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var task in tasks)
        {
            if (!int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid))
                continue;
            string name;
            try
            {
                name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (name.StartsWith(".NET Tiered Com", StringComparison.Ordinal) && SystemMeter.CpuTicks(pid, tid) is { } ticks)
                yield return (pid, tid, ticks);
        }
    }

    /// <summary>Stops the readings; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
            return;
        disposed = true;
        await stop.CancelAsync();
        if (sampling is not null)
            await sampling;
        stop.Dispose();
    }
}
