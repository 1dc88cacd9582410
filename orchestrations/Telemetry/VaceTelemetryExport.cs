using System.Diagnostics;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace VaceFunctions.Orchestrations.Telemetry;

/// <summary>
/// Where both hosts send their traces and metrics: by OTLP when <see cref="OtlpEndpointKey"/> is set (with the other
/// standard <c>OTEL_*</c> settings, read from configuration), to Azure Monitor when <see cref="AzureMonitorKey"/> is
/// set (the Functions host's convention; the exporters' <c>AzureMonitorExporterOptions</c> are configured in the
/// services, where a host adds its credential), and to the console when <see cref="ConsoleKey"/> is true (<c>vace serve
/// --verbose</c>). With none of them nothing listens, and the instruments cost next to nothing.
/// </summary>
public static class VaceTelemetryExport
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string AzureMonitorKey = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string ConsoleKey = "Vace:Telemetry:Console";

    /// <summary>
    /// Adds OpenTelemetry with this project's source and meter, the Durable Task SDK's spans, outgoing HTTP calls made
    /// by a step (their URLs without the query, where SAS signatures live; no headers) and incoming calls to
    /// <c>/api</c> (whose <c>traceparent</c> header a job's trace continues), and the exporters configured.
    /// </summary>
    public static OpenTelemetryBuilder AddVaceTelemetryExport(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var otlp = !string.IsNullOrEmpty(configuration[OtlpEndpointKey]);
        var azureMonitor = configuration[AzureMonitorKey] is { Length: > 0 } connectionString ? connectionString : null;
        var console = configuration.GetValue<bool>(ConsoleKey);
        var builder = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService(serviceName));
        if (!otlp && azureMonitor is null && !console)
        {
            return builder;
        }

        if (azureMonitor is not null)
        {
            // Both exporters build their options from these (the default name), so a host adds its credential the
            // same way (the Functions app: its managed identity).
            services.Configure<AzureMonitorExporterOptions>(exporter => exporter.ConnectionString = azureMonitor);
        }

        builder.WithTracing(tracing =>
        {
            tracing
                .AddSource(VaceTelemetry.Name, VaceTelemetry.DurableTaskSource)
                .AddHttpClientInstrumentation(http =>
                {
                    http.FilterHttpRequestMessage = request => WithinStep(Activity.Current) && !IsGrpc(request);
                    http.EnrichWithHttpRequestMessage = (activity, request) => activity.SetTag("url.full", WithoutQuery(request.RequestUri));
                })
                .AddAspNetCoreInstrumentation(aspNet => aspNet.Filter = context => context.Request.Path.StartsWithSegments("/api"));
            if (otlp)
            {
                tracing.AddOtlpExporter();
            }

            if (azureMonitor is not null)
            {
                tracing.AddAzureMonitorTraceExporter();
            }

            if (console)
            {
                tracing.AddConsoleExporter();
            }
        });
        builder.WithMetrics(metrics =>
        {
            metrics.AddMeter(VaceTelemetry.Name);
            if (otlp)
            {
                metrics.AddOtlpExporter();
            }

            if (azureMonitor is not null)
            {
                metrics.AddAzureMonitorMetricExporter();
            }

            if (console)
            {
                metrics.AddConsoleExporter();
            }
        });
        return builder;
    }

    /// <summary>
    /// Whether an HTTP call is made by one of the workflow's steps (a span of <see cref="VaceTelemetry.Name"/> above
    /// it): the host's own traffic — the engine's storage polling, the worker's gRPC — stays out of the traces.
    /// </summary>
    internal static bool WithinStep(Activity? activity)
    {
        for (var current = activity; current is not null; current = current.Parent)
        {
            if (current.Source.Name == VaceTelemetry.Name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A URL as spans show it: no query (SAS signatures and the service's result signatures live there), no user info.</summary>
    internal static string? WithoutQuery(Uri? url) => 
        url?.IsAbsoluteUri == true ? url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : null;

    /// <summary>The engine's gRPC calls, which intake makes to start an orchestration (the SDK spans them itself).</summary>
    private static bool IsGrpc(HttpRequestMessage request) =>
        request.Content?.Headers.ContentType?.MediaType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
}
