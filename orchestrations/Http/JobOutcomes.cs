using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>How a job's outcome is read from its instance, and which runtime statuses can hold each outcome.</summary>
public static class JobOutcomes
{
    /// <summary>The outcome of an instance read with its inputs and outputs.</summary>
    public static JobOutcome Of(OrchestrationMetadata instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var progress = JobStatusView.ProgressOf(instance);
        return Of(instance, progress, JobStatusView.ResultOf(instance, progress));
    }

    /// <summary>The outcome given the instance's progress and result, as <see cref="JobStatusView"/> reads them.</summary>
    public static JobOutcome Of(OrchestrationMetadata instance, VaceJobStatus? progress, VaceJobResult? result)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Failed => JobOutcome.Failed,
            OrchestrationRuntimeStatus.Terminated => JobOutcome.Canceled,
            _ when result is not null => Of(result),
            OrchestrationRuntimeStatus.Completed => JobOutcome.Failed,
            _ => progress?.Phase switch
            {
                null or VaceJobPhase.Probing or VaceJobPhase.WaitingForSlot or VaceJobPhase.Submitting => JobOutcome.Waiting,
                VaceJobPhase.Generating => progress.TaskStatus is null or "PENDING" ? JobOutcome.Waiting : JobOutcome.Running,
                _ => JobOutcome.Running,
            },
        };
    }

    /// <summary>The outcome a job's result reports.</summary>
    public static JobOutcome Of(VaceJobResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result switch
        {
            { Succeeded: true } => JobOutcome.Succeeded,
            { ErrorCode: VaceJobErrorCodes.Canceled } => JobOutcome.Canceled,
            { ErrorCode: VaceJobErrorCodes.Timeout } => JobOutcome.TimedOut,
            _ => JobOutcome.Failed,
        };
    }

    /// <summary>
    /// The runtime statuses an instance with this outcome can have: the engine's query filters by these, and the
    /// outcome itself is read from each instance of a page.
    /// </summary>
    public static OrchestrationRuntimeStatus[] RuntimeStatuses(JobOutcome outcome) => outcome switch
    {
        JobOutcome.Succeeded => [OrchestrationRuntimeStatus.Completed],
        JobOutcome.Failed => [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed],

        // A job canceled or out of time while its task ran on reports its outcome and keeps running.
        JobOutcome.Canceled => [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Terminated, .. Live],
        JobOutcome.TimedOut => [OrchestrationRuntimeStatus.Completed, .. Live],
        JobOutcome.Waiting => [OrchestrationRuntimeStatus.Pending, .. Live],
        _ => Live,
    };

    /// <summary>The runtime statuses of an orchestration still at work.</summary>
    private static OrchestrationRuntimeStatus[] Live => [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    /// <summary>The outcome in DashScope's task statuses: PENDING, RUNNING, SUCCEEDED, FAILED (also out of time), CANCELED.</summary>
    public static string TaskStatus(JobOutcome outcome) => outcome switch
    {
        JobOutcome.Waiting => "PENDING",
        JobOutcome.Running => "RUNNING",
        JobOutcome.Succeeded => "SUCCEEDED",
        JobOutcome.Canceled => "CANCELED",
        _ => "FAILED",
    };
}
