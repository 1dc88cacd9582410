using Microsoft.Extensions.Logging;

namespace VaceFunctions.Orchestrations.Durable;

/// <summary>
/// What an orchestrator may do, shaped like Durable Functions' <c>TaskOrchestrationContext</c> so the same
/// orchestrator runs on Durable Functions in Azure and on the embedded runtime here. Orchestrators are replayed:
/// everything they do must be deterministic — time from <see cref="CurrentUtcDateTime"/>, no I/O, no random
/// values, no <c>ConfigureAwait(false)</c>; all work happens in activities.
/// </summary>
public interface IOrchestrationContext
{
    /// <summary>The instance id; for a VACE job, the job id.</summary>
    string InstanceId { get; }

    /// <summary>True while the orchestrator re-executes steps already recorded in its history.</summary>
    bool IsReplaying { get; }

    /// <summary>The current time, replay-safe: the same value on every replay of the same step.</summary>
    DateTime CurrentUtcDateTime { get; }

    /// <summary>The orchestration's input. Maps to <c>GetInput&lt;T&gt;()</c>.</summary>
    T? GetInput<T>();

    /// <summary>
    /// Schedules an activity and waits for its result, retrying per <paramref name="retry"/>. A failure surfaces
    /// as <see cref="ActivityFailedException"/>. Maps to <c>CallActivityAsync(name, input, TaskOptions)</c>.
    /// </summary>
    Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, ActivityRetryPolicy? retry = null);

    /// <summary>A durable timer that fires at <paramref name="fireAt"/> (UTC). Maps to <c>CreateTimer</c>.</summary>
    Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);

    /// <summary>A status a person can read while the instance runs. Maps to <c>SetCustomStatus</c>.</summary>
    void SetCustomStatus(object? customStatus);

    /// <summary>A logger that writes only when not replaying. Maps to <c>CreateReplaySafeLogger</c>.</summary>
    ILogger CreateReplaySafeLogger(string categoryName);
}
