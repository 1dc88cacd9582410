using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>A job as the HTTP API shows it: runtime status, progress, and the result once it ended.</summary>
public sealed record JobStatusView(
    string Id,
    string RuntimeStatus,
    DateTime CreatedAt,
    DateTime LastUpdatedAt,
    VaceJobStatus? Progress,
    VaceJobResult? Result,
    string? Error)
{
    /// <summary>The view of an instance read with its inputs and outputs.</summary>
    public static JobStatusView From(OrchestrationMetadata instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var result = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<VaceJobResult>() : null;
        var error = instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Failed => instance.FailureDetails?.ErrorMessage,
            OrchestrationRuntimeStatus.Terminated => "Terminated: " + instance.SerializedOutput,
            _ => result is { Succeeded: false } ? $"{result.ErrorCode}: {result.ErrorMessage}" : null,
        };
        return new JobStatusView(instance.InstanceId, instance.RuntimeStatus.ToString(), instance.CreatedAt.UtcDateTime, instance.LastUpdatedAt.UtcDateTime,
            instance.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<VaceJobStatus>(), result, error);
    }
}
