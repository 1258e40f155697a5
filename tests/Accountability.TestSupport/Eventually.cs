using System.Diagnostics;

namespace Accountability.TestSupport;

/// <summary>Waits on a condition instead of sleeping a fixed time: fast when things are fast, patient when they are not.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string description, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (await condition())
                return;
            if (clock.Elapsed > limit)
                throw new TimeoutException($"Still not true after {limit.TotalSeconds:0.#} s: {description}");
            await Task.Delay(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 1.5, 250));
        }
    }

    public static Task HoldsAsync(Func<bool> condition, string description, TimeSpan? timeout = null) =>
        HoldsAsync(() => Task.FromResult(condition()), description, timeout);

    /// <summary>Returns the value once <paramref name="accept"/> likes it.</summary>
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> read, Func<T, bool> accept, string description, TimeSpan? timeout = null)
    {
        var last = default(T);
        await HoldsAsync(async () => accept(last = await read()), description, timeout);
        return last!;
    }
}
