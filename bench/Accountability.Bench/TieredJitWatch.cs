using System.Globalization;

namespace Accountability.Bench;

/// <summary>
/// The services' tiered-JIT threads (".NET Tiered Com"), read from /proc once a second. They compile hot methods again,
/// optimised, in the background, for minutes after a start at a trickle: a method is promoted after 30 calls, and at 5
/// complaints a second code that runs once every few complaints takes that long to reach them. That is start-up work a
/// long-running service has done long before. The runtime ends such a thread after a few idle seconds and starts another
/// when there is work again, so each thread is followed by its id; one that ends loses at most its last second, so the
/// figure is a floor. The first compile of each method happens on the thread that calls it and is not in it.
/// </summary>
public sealed class TieredJitWatch(IEnumerable<int> pids) : IAsyncDisposable
{
    private const double TicksPerSecond = 100;

    private readonly IReadOnlyList<int> pids = [.. pids];
    private readonly Dictionary<(int Pid, int Tid), (long First, long Last, bool FromStart)> threads = [];
    private readonly CancellationTokenSource stop = new();
    private Task? sampling;
    private bool disposed;

    /// <summary>Whether a reading has been taken, so the figure means something.</summary>
    public bool Sampled { get; private set; }

    /// <summary>Counts from now: what the threads alive now spent before is left out; threads that start later count whole.</summary>
    public void Start()
    {
        Sample(atStart: true);
        sampling = SampleEverySecondAsync(stop.Token);
    }

    /// <summary>The threads' CPU seconds since <see cref="Start"/>, read now.</summary>
    public double SecondsSoFar()
    {
        Sample(atStart: false);
        lock (threads)
            return threads.Values.Sum(t => t.FromStart ? t.Last - t.First : t.Last) / TicksPerSecond;
    }

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
        lock (threads)
        {
            foreach (var pid in pids)
                foreach (var (tid, ticks) in JitThreadsOf(pid))
                    threads[(pid, tid)] = threads.TryGetValue((pid, tid), out var seen) ? seen with { Last = ticks } : (ticks, ticks, atStart);
            Sampled = true;
        }
    }

    private static IEnumerable<(int Tid, long Ticks)> JitThreadsOf(int pid)
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
                yield return (tid, ticks);
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
