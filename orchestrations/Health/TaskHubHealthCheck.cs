using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace VaceFunctions.Orchestrations.Health;

/// <summary>Readiness: the Durable Task engine answers a query of the task hub (an instance that does not exist).</summary>
public sealed class TaskHubHealthCheck(DurableTaskClient client) : IHealthCheck
{
    private const string ProbeInstance = "vace-readiness-probe";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await client.GetInstanceAsync(ProbeInstance, getInputsAndOutputs: false, cancellationToken).WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy("The task hub answers.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"The task hub does not answer ({ex.GetType().Name}).");
        }
    }
}
