using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Health;

/// <summary>
/// Readiness: DashScope (or the simulator standing in for it) answers a query of a task that does not exist (free, and
/// answered UNKNOWN) and accepts the API key. Without a key it is Degraded, not asked: the host still takes jobs,
/// which fail with NotConfigured. The answer names neither the endpoint nor the key.
/// </summary>
/// <remarks>
/// <para>
/// A flood of readiness probes must not spend the account's request rate nor trip the workflow's circuit breaker: the
/// check asks the service at most once per <see cref="CacheDuration"/> (concurrent probes share one question, later
/// ones the cached answer), over an HTTP client of its own (<see cref="HttpClientName"/>) with no retries and no breaker,
/// so nothing it sees counts in the workflow's DashScope pipeline, and nothing there short-circuits it.
/// </para>
/// <para>Registered as a singleton by <see cref="ReadinessChecks.AddVaceReadinessChecks"/>, so the cache is the host's.</para>
/// </remarks>
public sealed class DashScopeHealthCheck(
    IHttpClientFactory httpClients, IOptions<DashScopeOptions> options, ILogger<DashScopeClient> logger, TimeProvider time) : IHealthCheck
{
    /// <summary>The named HTTP client of the check: the DashScope endpoint, one attempt, no resilience pipeline.</summary>
    public const string HttpClientName = "vace-dashscope-readiness";

    /// <summary>How long an answer is reused before the service is asked again.</summary>
    public static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(10);

    private const string ProbeTask = "vace-readiness-probe";

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _answer;
    private DateTimeOffset _askedAt;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.HasApiKey)
        {
            return HealthCheckResult.Degraded("No DashScope API key is configured; jobs fail with NotConfigured until one is set.");
        }

        Task<HealthCheckResult> answer;
        lock (_gate)
        {
            if (_answer is null || (_answer.IsCompleted && time.GetUtcNow() - _askedAt >= CacheDuration))
            {
                _askedAt = time.GetUtcNow();
                _answer = AskAsync();
            }

            answer = _answer;
        }

        // The question is shared: one caller giving up (its own timeout) does not cancel it for the others.
        return await answer.WaitAsync(cancellationToken);
    }

    private async Task<HealthCheckResult> AskAsync()
    {
        // Its own bound, as no caller's token is the question's: the check's timeout, like every readiness check.
        using var timeout = new CancellationTokenSource(ReadinessChecks.Timeout, time);
        var client = new DashScopeClient(httpClients.CreateClient(HttpClientName), options, logger, time);
        try
        {
            await client.GetTaskAsync(ProbeTask, timeout.Token);
            return HealthCheckResult.Healthy("DashScope answers.");
        }
        catch (DashScopeException ex) when (ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return HealthCheckResult.Unhealthy($"DashScope refuses the API key ({ex.Code}).");
        }
        catch (DashScopeException ex) when (ex.StatusCode is { } status && (int)status < 500)
        {
            return HealthCheckResult.Healthy($"DashScope answers ({(int)status} {ex.Code}).");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy($"DashScope cannot be reached or fails ({ex.GetType().Name}).");
        }
    }
}
