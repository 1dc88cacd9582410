using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Health;

/// <summary>
/// Readiness: the storage account answers — the output container and the jobs queue are looked up (with the data
/// permissions the hosts have, not the account's). Its answer names no endpoint and no key.
/// </summary>
public sealed class StorageHealthCheck(
    BlobServiceClient blobs, QueueServiceClient queues, IOptions<WorkflowOptions> workflow, IOptions<QueueIntakeOptions> queue) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // WaitAsync: an answer that never comes must not hold the check past its timeout.
            await Task.WhenAll(
                blobs.GetBlobContainerClient(workflow.Value.OutputContainer).ExistsAsync(cancellationToken),
                queues.GetQueueClient(queue.Value.Name).ExistsAsync(cancellationToken)).WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy("Blob and queue storage answer.");
        }
        catch (RequestFailedException ex)
        {
            return HealthCheckResult.Unhealthy($"Storage refuses the request ({ex.Status} {ex.ErrorCode}).");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"Storage cannot be reached ({ex.GetType().Name}).");
        }
    }
}
