using VaceFunctions.Local.Durable;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Http;

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
    public static JobStatusView From(OrchestrationStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var result = status.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? status.ReadOutputAs<VaceJobResult>() : null;
        var error = status.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Failed => status.Failure?.ErrorMessage,
            OrchestrationRuntimeStatus.Terminated => "Canceled: " + status.ReadOutputAs<string>(),
            _ => result is { Succeeded: false } ? $"{result.ErrorCode}: {result.ErrorMessage}" : null,
        };
        return new JobStatusView(status.InstanceId, status.RuntimeStatus.ToString(), status.CreatedAt, status.LastUpdatedAt,
            status.CustomStatus is null ? null : status.ReadCustomStatusAs<VaceJobStatus>(), result, error);
    }
}
