using System.Diagnostics.Metrics;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Avatar.Worker.Telemetry;

public static class TelemetryServices
{
    /// <summary>
    /// Traces (MassTransit, HttpClient, Npgsql) and metrics (the worker's <c>avatar.*</c>, MassTransit, runtime,
    /// HttpClient, Npgsql) through OpenTelemetry; Prometheus scrapes <c>/metrics</c>, and OTLP is used when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Logs carry trace and span ids.
    /// </summary>
    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AvatarMetrics>();
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        // JSON lines (Logging__Console__FormatterName=json) carry the scopes: trace and span ids, SessionId or SubmissionId.
        // The default single-line format stays short for people.
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.JsonConsoleFormatterOptions>(o => o.IncludeScopes = true);

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("avatar-worker"))
            .WithTracing(tracing => tracing
                .AddSource(MassTransit.Logging.DiagnosticHeaders.DefaultListenerName, ScheduleTracing.SourceName)
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(AvatarMetrics.MeterName, MassTransit.Monitoring.InstrumentationOptions.MeterName)
                .AddRuntimeInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter());

        // The view needs this worker's IMeterFactory, so it is added once the service provider exists.
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) => metrics.AddView(OwnInstrumentsOnly(services.GetRequiredService<IMeterFactory>())));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// OpenTelemetry listens to meters by name across the process, so a second worker in the same process (a host that
    /// runs two, the integration tests) would add its <c>avatar.*</c> counts to this one's. Each worker's meter comes from
    /// its own <see cref="IMeterFactory"/>, which marks it as the meter's scope: this view drops the others.
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> OwnInstrumentsOnly(IMeterFactory own) => instrument =>
        instrument.Meter.Name == AvatarMetrics.MeterName && !ReferenceEquals(instrument.Meter.Scope, own) ? MetricStreamConfiguration.Drop : null;
}
