using System.Diagnostics;
using System.Text.Json;
using OpenTelemetry;

namespace Accountability.ServiceDefaults.Telemetry;

/// <summary>
/// Writes each finished span as one JSON line to a file (config Telemetry:SpanFile). Tests start
/// services as separate processes and read these files to check that the spans of several services
/// form one connected trace, without needing an OTLP collector.
/// </summary>
public sealed class SpanFileExporter(string path) : BaseExporter<Activity>
{
    private readonly Lock gate = new();

    public override ExportResult Export(in Batch<Activity> batch)
    {
        var lines = new List<string>();
        foreach (var activity in batch)
        {
            lines.Add(JsonSerializer.Serialize(new
            {
                traceId = activity.TraceId.ToHexString(),
                spanId = activity.SpanId.ToHexString(),
                parentSpanId = activity.ParentSpanId == default ? null : activity.ParentSpanId.ToHexString(),
                name = activity.DisplayName,
                source = activity.Source.Name,
                kind = activity.Kind.ToString(),
                start = activity.StartTimeUtc,
                durationMs = activity.Duration.TotalMilliseconds,
                tags = TagsOf(activity),
                links = activity.Links.Select(l => new { traceId = l.Context.TraceId.ToHexString(), spanId = l.Context.SpanId.ToHexString() }),
            }));
        }
        lock (gate)
            File.AppendAllLines(path, lines);
        return ExportResult.Success;
    }

    /// <summary>The last value of each tag: an instrumentation may add a tag that another already set.</summary>
    private static Dictionary<string, string?> TagsOf(Activity activity)
    {
        var tags = new Dictionary<string, string?>();
        foreach (var tag in activity.TagObjects)
            tags[tag.Key] = tag.Value?.ToString();
        return tags;
    }
}
