using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Accountability.ServiceDefaults.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>Every ActivitySource whose spans we keep. These libraries emit Activities without extra packages.</summary>
    public static readonly string[] TraceSources = ["Accountability.*", "MassTransit", "Microsoft.AspNetCore", "Npgsql"];

    public static readonly string[] Meters =
        ["Accountability.*", "MassTransit", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Npgsql"];

    /// <summary>
    /// Traces, metrics and logs through the OpenTelemetry SDK. The providers are always built, so
    /// spans exist and trace context propagates; the OTLP exporter is added only when the standard
    /// OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter itself reads the rest of the OTEL_* settings).
    /// </summary>
    public static WebApplicationBuilder AddAccountabilityTelemetry(this WebApplicationBuilder builder, string serviceName)
    {
        var exportOtlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var spanFile = builder.Configuration["Telemetry:SpanFile"];
        var version = typeof(TelemetryExtensions).Assembly.GetName().Version?.ToString() ?? "0.0.0";
        ResourceBuilder Resource() => ResourceBuilder.CreateDefault()
            .AddService(serviceName, serviceNamespace: "accountability", serviceVersion: version, serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}");

        // Built by factories, so the container disposes them (and flushes the exporters) at shutdown.
        builder.Services.AddSingleton(_ =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(Resource())
                .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
                .AddSource(TraceSources);
            if (exportOtlp)
                tracing.AddOtlpExporter();
            if (!string.IsNullOrWhiteSpace(spanFile))
                tracing.AddProcessor(new SimpleActivityExportProcessor(new SpanFileExporter(spanFile)));
            return tracing.Build()!;
        });
        builder.Services.AddSingleton(_ =>
        {
            var metrics = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(Resource())
                .AddMeter(Meters);
            if (exportOtlp)
                metrics.AddOtlpExporter();
            return metrics.Build()!;
        });
        builder.Services.AddHostedService<TelemetryStarter>();

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.SetResourceBuilder(Resource());
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            if (exportOtlp)
                logging.AddOtlpExporter();
        });
        return builder;
    }

    /// <summary>Resolves the providers at start-up, so spans from the first request are recorded.</summary>
    private sealed class TelemetryStarter(TracerProvider tracerProvider, MeterProvider meterProvider) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(tracerProvider);
            GC.KeepAlive(meterProvider);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
