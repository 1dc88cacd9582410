using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Local.Durable;

/// <summary>
/// An instance as the client sees it. Listings carry only the first five fields; a status read carries all.
/// Input, output and custom status are JSON.
/// </summary>
public sealed record OrchestrationStatus(
    string InstanceId,
    string Name,
    OrchestrationRuntimeStatus RuntimeStatus,
    DateTime CreatedAt,
    DateTime LastUpdatedAt,
    string? Input = null,
    string? Output = null,
    string? CustomStatus = null,
    ActivityFailureDetails? Failure = null)
{
    public bool IsTerminal => RuntimeStatus is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    public T? ReadOutputAs<T>() => DurableJson.Deserialize<T>(Output);

    public T? ReadCustomStatusAs<T>() => DurableJson.Deserialize<T>(CustomStatus);
}
