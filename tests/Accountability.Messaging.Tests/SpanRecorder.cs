using System.Collections.Concurrent;
using System.Diagnostics;

namespace Accountability.Messaging.Tests;

/// <summary>An in-test ActivityListener: records every span of ours and MassTransit's.</summary>
public sealed class SpanRecorder : IDisposable
{
    public static readonly ActivitySource TestSource = new("Accountability.Tests");

    private readonly ActivityListener listener;

    public SpanRecorder()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Accountability.", StringComparison.Ordinal) || source.Name == "MassTransit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => Stopped.Add(activity),
        };
        ActivitySource.AddActivityListener(listener);
    }

    public ConcurrentBag<Activity> Stopped { get; } = [];

    public void Dispose() => listener.Dispose();
}
