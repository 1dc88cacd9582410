using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>
/// Where a job that continued as new picks up: polling the task it submitted, with the deadline, the next poll's
/// delay, the progress it showed and its phase timings carried over. A long wait then starts a fresh, short history
/// every <see cref="VaceJobRequest.PollsPerExecution"/> polls instead of replaying one that grows without bound.
/// </summary>
/// <param name="TaskId">The submitted DashScope task.</param>
/// <param name="Deadline">The job's deadline, fixed when it first started.</param>
/// <param name="NextPollDelay">The delay before the next poll.</param>
/// <param name="Status">The progress shown when the execution ended.</param>
/// <param name="Phases">The timings of the phases that ended.</param>
/// <param name="PhaseStarted">When the running phase (Generating or AwaitingBilledTask) began.</param>
/// <param name="Reported">The outcome already reported when the job follows a billed task it could not cancel.</param>
public sealed record VaceJobResume(
    string TaskId,
    DateTime Deadline,
    TimeSpan NextPollDelay,
    VaceJobStatus Status,
    IReadOnlyDictionary<string, PhaseTiming> Phases,
    DateTime PhaseStarted,
    VaceJobResult? Reported = null)
{
    /// <summary>How the task's polls are scheduled; null in a resume written before schedules (then steady polls).</summary>
    public PollPlan? Plan { get; init; }

    /// <summary>When the task was submitted, by the orchestration's clock: the schedule's origin.</summary>
    public DateTime? SubmittedAt { get; init; }

    /// <summary>When the last poll was due, counted from <see cref="SubmittedAt"/>.</summary>
    public TimeSpan? LastDue { get; init; }
}
