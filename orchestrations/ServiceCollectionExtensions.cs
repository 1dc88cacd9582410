using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Batches;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Operations;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Timing;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations;

/// <summary>Registers the host-independent services of the workflow.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds what the orchestrator's activities need: the DashScope options (section <c>DashScope</c>) and typed
    /// <see cref="DashScopeClient"/>, the workflow options (section <c>Vace</c>), admission slots, and the HTTP
    /// clients for media and result videos and for callbacks, which connect only where <see cref="UrlGuard"/> allows.
    /// The HTTP clients have a standard resilience pipeline. Options are validated at start. The host registers the
    /// storage account's <c>BlobServiceClient</c>.
    /// </summary>
    public static IServiceCollection AddVaceOrchestrations(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<VaceTelemetry>();
        services.AddOptions<DashScopeOptions>()
            .BindConfiguration(DashScopeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var dashScope = services.AddHttpClient<DashScopeClient>((provider, http) =>
            {
                var options = provider.GetRequiredService<IOptions<DashScopeOptions>>().Value;
                http.BaseAddress = options.EffectiveBaseUrl;

                // The resilience pipeline times each attempt (DashScopeOptions.RequestTimeout) and the whole call.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                ConnectTimeout = provider.GetRequiredService<IOptions<DashScopeOptions>>().Value.ConnectTimeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),

                // A redirect would carry the Bearer key to another address.
                AllowAutoRedirect = false,
            });
        dashScope.AddStandardResilienceHandler().Configure((resilience, provider) => DashScopeClient.ConfigureResilience(
            resilience, provider.GetRequiredService<IOptions<DashScopeOptions>>().Value, provider.GetRequiredService<ILogger<DashScopeClient>>(),
            provider.GetRequiredService<VaceTelemetry>()));

        // Inside the pipeline, so that each attempt reads its answer whole, and each attempt is counted.
        dashScope.AddHttpMessageHandler(() => new DashScopeBufferingHandler());
        dashScope.AddHttpMessageHandler(provider => new DashScopeTelemetryHandler(provider.GetRequiredService<VaceTelemetry>()));
        services.AddOptions<WorkflowOptions>()
            .BindConfiguration(WorkflowOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<UrlGuard>();
        services.TryAddSingleton<AdmissionSlots>();
        services.TryAddSingleton<ModelTimes>();
        services.TryAddSingleton<BlobReadUrls>();
        services.TryAddSingleton<OwnedMediaUrls>();
        services.TryAddSingleton<JobIntake>();
        services.TryAddSingleton<JobCanceller>();
        services.AddOptions<BatchOptions>()
            .BindConfiguration(BatchOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<BatchStore>();
        services.TryAddSingleton<BatchJobs>();
        services.TryAddSingleton<BatchIntake>();
        services.TryAddSingleton<PoisonMessages>();
        services.TryAddSingleton<InstanceRetention>();
        services.AddOptions<HttpApiOptions>()
            .BindConfiguration(HttpApiOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ClientKeys>();
        services.AddHttpClient(ProbeInputsActivity.HttpClientName, http => http.Timeout = TimeSpan.FromMinutes(30))
            .ConfigurePrimaryHttpMessageHandler(provider => GuardedHandler(provider.GetRequiredService<UrlGuard>().ConnectForDownloadAsync, redirects: true))
            .AddStandardResilienceHandler(ConfigureMediaResilience);
        services.AddHttpClient(NotifyCallbackActivity.HttpClientName, http => http.Timeout = TimeSpan.FromMinutes(30))
            .ConfigurePrimaryHttpMessageHandler(provider => GuardedHandler(provider.GetRequiredService<UrlGuard>().ConnectForCallbackAsync, redirects: false))
            .AddStandardResilienceHandler(ConfigureMediaResilience);
        return services;
    }

    /// <summary>
    /// A handler whose every connection, redirect hops included, is opened by <paramref name="connect"/>
    /// (<see cref="UrlGuard"/>), and never through a proxy: HTTP_PROXY / HTTPS_PROXY would otherwise connect for it.
    /// A callback follows no redirect (its signed body is for the receiver it names).
    /// </summary>
    private static SocketsHttpHandler GuardedHandler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> connect, bool redirects) => new()
    {
        ConnectCallback = connect,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        AllowAutoRedirect = redirects,
        MaxAutomaticRedirections = 5,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>
    /// The media and callback clients' pipeline: GETs (probes, result downloads) are retried on the standard transient failures,
    /// except an address <see cref="UrlGuard"/> refused; the callback POST is sent once (the orchestrator retries
    /// the activity). The timeouts bound the wait for response headers: bodies are read after the pipeline has
    /// returned (probes and downloads stream them), so a long download is not cut. The callers set the tighter bounds:
    /// a probe's whole deadline (<see cref="WorkflowOptions.ProbeTimeout"/>), a callback's
    /// (<see cref="WorkflowOptions.CallbackTimeout"/>) and a download's stall window
    /// (<see cref="WorkflowOptions.DownloadStallTimeout"/>). One breaker for every host would let a failing callback
    /// receiver block downloads, so none breaks.
    /// </summary>
    private static void ConfigureMediaResilience(HttpStandardResilienceOptions resilience)
    {
        resilience.AttemptTimeout.Timeout = TimeSpan.FromMinutes(2);
        resilience.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(10);
        resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(4);
        resilience.CircuitBreaker.ShouldHandle = _ => ValueTask.FromResult(false);
        resilience.Retry.DisableForUnsafeHttpMethods();
        var transient = resilience.Retry.ShouldHandle;
        resilience.Retry.ShouldHandle = args => args.Outcome.Exception is { } ex && UrlGuard.IsRefusal(ex) ? ValueTask.FromResult(false) : transient(args);
    }
}
