using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Operations;

/// <summary>
/// Purges finished instances and their history once they are older than <see cref="WorkflowOptions.Retention"/>, for
/// both hosts' scheduled jobs. Instances still running — also a job that reported its outcome and follows a billed task
/// — are never purged; nothing outside the task hub is touched (outputs, manifests and rejection records stay).
/// </summary>
public sealed partial class InstanceRetention(IOptions<WorkflowOptions> options, TimeProvider time, ILogger<InstanceRetention> logger)
{
    /// <summary>The runtime statuses of an instance that has ended.</summary>
    public static readonly IReadOnlyList<OrchestrationRuntimeStatus> FinishedStatuses =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    /// <summary>Purges the finished instances created before now less the retention; returns how many went.</summary>
    public async Task<int> PurgeAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var createdBefore = time.GetUtcNow() - options.Value.Retention;

        // The Azure Storage backend queries a creation-time range; the epoch is earlier than any instance.
        var filter = new PurgeInstancesFilter(DateTimeOffset.UnixEpoch, createdBefore, FinishedStatuses);
        var purged = (await client.PurgeAllInstancesAsync(filter, cancellationToken)).PurgedInstanceCount;
        Log.Purged(logger, purged, createdBefore.UtcDateTime);
        return purged;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "Retention: purged {Count} finished instances created before {CreatedBefore:O}")]
        public static partial void Purged(ILogger logger, int count, DateTime createdBefore);
    }
}
