using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Accountability.ServiceDefaults.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>Our own sources and meters, and MassTransit's (its ActivitySource and Meter are both named "MassTransit").</summary>
    public static readonly string[] Sources = ["Accountability.*", "MassTransit"];

    /// <summary>How often a metric file (Telemetry:MetricFile) is written.</summary>
    public static readonly TimeSpan MetricFileInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Traces, metrics and logs through OpenTelemetry's hosting package and the ASP.NET Core, HttpClient,
    /// runtime and Npgsql instrumentations. Spans exist and trace context propagates whether or not
    /// anything exports them; the OTLP exporter is added only when the standard
    /// OTEL_EXPORTER_OTLP_ENDPOINT is set (it reads the rest of the OTEL_* settings itself).
    /// Telemetry:SpanFile and Telemetry:MetricFile write JSON lines for tests.
    /// </summary>
    public static WebApplicationBuilder AddAccountabilityTelemetry(this WebApplicationBuilder builder, string serviceName)
    {
        var exportOtlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var spanFile = builder.Configuration["Telemetry:SpanFile"];
        var metricFile = builder.Configuration["Telemetry:MetricFile"];
        var version = typeof(TelemetryExtensions).Assembly.GetName().Version?.ToString() ?? "0.0.0";

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceNamespace: "accountability",
                serviceVersion: version, serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}"))
            .WithTracing(tracing =>
            {
                tracing
                    .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
                    .AddSource(Sources)
                    // Probes poll every few seconds: no span for them, nor (being unsampled parents) for their queries.
                    .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsProbe(context.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql();
                if (!string.IsNullOrWhiteSpace(spanFile))
                    tracing.AddProcessor(new SimpleActivityExportProcessor(new SpanFileExporter(spanFile)));
            })
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(Sources)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation();
                if (!string.IsNullOrWhiteSpace(metricFile))
                    metrics.AddReader(new PeriodicExportingMetricReader(new MetricFileExporter(metricFile), (int)MetricFileInterval.TotalMilliseconds));
            })
            .WithLogging(configureBuilder: null, configureOptions: logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            });
        if (exportOtlp)
            telemetry.UseOtlpExporter();
        return builder;
    }

    /// <summary>Health probes: answered often and by machines, so not worth a span each.</summary>
    public static bool IsProbe(PathString path) => path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase);
}
