using System.Net;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>The standard OpenTelemetry instrumentation, as the running services export it.</summary>
[Collection(nameof(FiveServices))]
public sealed class TelemetryTests(FiveServices services)
{
    [Fact]
    public async Task The_services_export_the_standard_http_database_runtime_and_messaging_metrics_alongside_the_unowned_gauge()
    {
        await services.FileComplaintAsync();

        await Eventually.HoldsAsync(() => Task.FromResult(
                Has(services.ReadMetrics("Intake"), "http.server.request.duration", point => point.Tags.GetValueOrDefault("http.route") == "/api/complaints")
                && Has(services.ReadMetrics("Intake"), "db.client.operation.duration")
                && services.ReadMetrics("Intake").Any(m => m.Meter == "System.Runtime" && m.Name == "dotnet.process.cpu.time")
                && services.ReadMetrics("Assignment").Any(m => m.Meter == "MassTransit")),
            "intake exports request durations by route, database operation durations and runtime metrics; assignment MassTransit's");

        var unowned = await Eventually.ReturnsAsync(
            () => Task.FromResult(services.ReadMetrics("Escalation").LastOrDefault(m => m.Name == "accountability.cases.unowned")),
            metric => metric is { Points.Count: > 0 }, "escalation exports the unowned gauge");
        Assert.Equal("Accountability.Escalation", unowned!.Meter);
        // Escalation reads the database on every pass of its monitor, so its database and runtime metrics
        // come out of the same exporter as the gauge.
        await Eventually.HoldsAsync(() => Task.FromResult(
                Has(services.ReadMetrics("Escalation"), "db.client.operation.duration")
                && services.ReadMetrics("Escalation").Any(m => m.Meter == "System.Runtime" && m.Name == "dotnet.process.cpu.time")),
            "escalation exports database operation durations and runtime metrics alongside the unowned gauge");
    }

    [Fact]
    public async Task A_database_command_of_a_filing_is_a_span_in_its_trace_while_health_probes_make_no_spans()
    {
        foreach (var path in new[] { "/health/ready", "/health/live" })
        {
            using var probe = await services["Intake"].Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        }

        var caseId = await services.FileComplaintAsync();

        Span? Filing(List<Span> all)
        {
            var caseTraces = all.Where(s => s.Service == "Intake" && s.CaseId == caseId).Select(s => s.TraceId).ToHashSet();
            return all.FirstOrDefault(s => s.Service == "Intake" && s.Kind == "Server" && caseTraces.Contains(s.TraceId));
        }
        var spans = await Eventually.ReturnsAsync(() => Task.FromResult(services.ReadSpans()), all => Filing(all) is not null, "the filing's span recorded");
        var filing = Filing(spans)!;
        Assert.Equal("POST /api/complaints", filing.Name);
        Assert.Equal("201", filing.Tag("http.response.status_code"));

        var database = spans.Where(s => s.Service == "Intake" && s.Source == "Npgsql" && s.TraceId == filing.TraceId).ToList();
        Assert.NotEmpty(database);
        Assert.All(database, span => Assert.Equal("Client", span.Kind));
        Assert.Contains(database, span => span.Tag("db.query.text")?.Contains("outbox", StringComparison.OrdinalIgnoreCase) == true);

        // Spans are written when they end, synchronously: the probes answered before the filing began.
        Assert.DoesNotContain(spans, s => s.Service == "Intake" && (s.Name.Contains("/health", StringComparison.Ordinal) || s.Tag("url.path")?.StartsWith("/health", StringComparison.Ordinal) == true));
        Assert.DoesNotContain(spans, s => s.Source == "Npgsql" && s.ParentSpanId is null);
    }

    private static bool Has(IEnumerable<MetricPoints> metrics, string name, Func<(IReadOnlyDictionary<string, string?> Tags, double Value), bool>? point = null) =>
        metrics.Any(m => m.Name == name && m.Points.Any(p => point is null || point(p)));
}
