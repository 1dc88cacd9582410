using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Health;

/// <summary>
/// The readiness checks both hosts can run — storage, the task hub, DashScope (its answer cached for
/// <see cref="DashScopeHealthCheck.CacheDuration"/>) — each cut off after <see cref="Timeout"/>
/// (a stalled dependency answers Unhealthy promptly), and the JSON a health endpoint answers with: the overall status
/// and each check's status and description, never an exception's message (it could carry an endpoint).
/// </summary>
public static class ReadinessChecks
{
    public const string Tag = "ready";

    public const string Storage = "storage";

    public const string TaskHub = "taskhub";

    public const string DashScope = "dashscope";

    /// <summary>How long a check may take before it counts as failed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Adds the storage and DashScope checks, and the task hub's where the host has a <c>DurableTaskClient</c> service;
    /// the DashScope check is one per host, with its cache and an HTTP client of its own (<see cref="DashScopeHealthCheck"/>).
    /// </summary>
    public static IHealthChecksBuilder AddVaceReadinessChecks(this IHealthChecksBuilder builder, bool taskHub)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<DashScopeHealthCheck>();

        // Not the workflow's DashScopeClient pipeline: no retries (one question per probe) and no shared breaker.
        builder.Services.AddHttpClient(DashScopeHealthCheck.HttpClientName, (provider, http) =>
            {
                http.BaseAddress = provider.GetRequiredService<IOptions<DashScopeOptions>>().Value.EffectiveBaseUrl;
                http.Timeout = Timeout;
            })
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                ConnectTimeout = provider.GetRequiredService<IOptions<DashScopeOptions>>().Value.ConnectTimeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),

                // A redirect would carry the Bearer key to another address.
                AllowAutoRedirect = false,
            })
            .AddHttpMessageHandler(() => new DashScopeBufferingHandler());
        builder.AddCheck<StorageHealthCheck>(Storage, HealthStatus.Unhealthy, [Tag], Timeout);
        if (taskHub)
        {
            builder.AddCheck<TaskHubHealthCheck>(TaskHub, HealthStatus.Unhealthy, [Tag], Timeout);
        }

        builder.AddCheck<DashScopeHealthCheck>(DashScope, HealthStatus.Unhealthy, [Tag], Timeout);
        return builder;
    }

    /// <summary>Writes a report as JSON: <c>{"status": …, "checks": {name: {"status": …, "description": …}}}</c>.</summary>
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description);
            json.WriteNumber("durationMs", (long)entry.Duration.TotalMilliseconds);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
