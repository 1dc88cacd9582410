namespace VaceFunctions.Orchestrations.Durable;

/// <summary>
/// Thrown into an orchestrator when an activity failed after its retries, shaped like Durable Task's
/// <c>TaskFailedException</c>.
/// </summary>
public sealed class ActivityFailedException(string activityName, int taskId, ActivityFailureDetails failureDetails)
    : Exception($"Activity '{activityName}' (task {taskId}) failed: {failureDetails.ErrorType}: {failureDetails.ErrorMessage}")
{
    public string ActivityName { get; } = activityName;

    public int TaskId { get; } = taskId;

    public ActivityFailureDetails FailureDetails { get; } = failureDetails;
}
