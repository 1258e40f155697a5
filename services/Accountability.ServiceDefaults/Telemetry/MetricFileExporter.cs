using System.Text.Json;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Accountability.ServiceDefaults.Telemetry;

/// <summary>
/// Writes each collected metric as one JSON line (config Telemetry:MetricFile): its name, meter, unit
/// and points with their tags and value (the sum for counters and gauges, the count for histograms).
/// The metrics counterpart of <see cref="SpanFileExporter"/>, for tests that run services as processes.
/// </summary>
public sealed class MetricFileExporter(string path) : BaseExporter<Metric>
{
    public override ExportResult Export(in Batch<Metric> batch)
    {
        var lines = new List<string>();
        foreach (var metric in batch)
        {
            var points = new List<object>();
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new Dictionary<string, string?>();
                foreach (var tag in point.Tags)
                    tags[tag.Key] = tag.Value?.ToString();
                points.Add(new { tags, value = ValueOf(metric.MetricType, in point) });
            }
            lines.Add(JsonSerializer.Serialize(new { name = metric.Name, meter = metric.MeterName, unit = metric.Unit, points }));
        }
        File.AppendAllLines(path, lines);
        return ExportResult.Success;
    }

    private static double ValueOf(MetricType type, in MetricPoint point) => type switch
    {
        MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
        MetricType.LongGauge => point.GetGaugeLastValueLong(),
        MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
        MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
        MetricType.Histogram or MetricType.ExponentialHistogram => point.GetHistogramCount(),
        _ => double.NaN,
    };
}
