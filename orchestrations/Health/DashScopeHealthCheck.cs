using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Health;

/// <summary>
/// Readiness: DashScope (or the simulator standing in for it) answers a query of a task that does not exist (free, and
/// answered UNKNOWN) and accepts the API key. Without a key it is Degraded, not asked: the host still takes jobs,
/// which fail with NotConfigured. The answer names neither the endpoint nor the key.
/// </summary>
public sealed class DashScopeHealthCheck(DashScopeClient client, IOptions<DashScopeOptions> options) : IHealthCheck
{
    private const string ProbeTask = "vace-readiness-probe";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.HasApiKey)
        {
            return HealthCheckResult.Degraded("No DashScope API key is configured; jobs fail with NotConfigured until one is set.");
        }

        try
        {
            await client.GetTaskAsync(ProbeTask, cancellationToken).WaitAsync(cancellationToken);
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
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"DashScope cannot be reached or fails ({ex.GetType().Name}).");
        }
    }
}
