using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>
/// Where a job stands for its user, whatever its orchestration's runtime status: a job that failed, was canceled or
/// ran out of time has a Completed orchestration (its result says how it ended), and one that reported its outcome
/// while it follows a billed task it could not cancel is still Running. The DashScope-compatible face says the same in
/// the service's words (<see cref="JobOutcomes.TaskStatus"/>).
/// </summary>
public enum JobOutcome
{
    /// <summary>Not yet running at DashScope: probing, waiting for a slot, submitting, or its task is PENDING.</summary>
    Waiting,

    /// <summary>Its task runs, or its video is being copied and recorded.</summary>
    Running,

    Succeeded,

    /// <summary>Ended with an error: the service's code, or one of <see cref="VaceJobErrorCodes"/>.</summary>
    Failed,

    Canceled,

    /// <summary>No slot or no finished task within the job's maximum wait (<see cref="VaceJobErrorCodes.Timeout"/>).</summary>
    TimedOut,
}
