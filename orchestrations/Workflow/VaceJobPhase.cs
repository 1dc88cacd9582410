namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>Where a job is, as its custom status shows it.</summary>
public enum VaceJobPhase
{
    Probing,
    WaitingForSlot,
    Submitting,
    Generating,

    /// <summary>
    /// The job has ended (canceled or out of time, already reported) but its task could not be canceled: it runs on
    /// and is billed. The job holds its task slot until a poll sees the task end, and copies a video it makes.
    /// </summary>
    AwaitingBilledTask,
    Copying,
    WritingManifest,
    Notifying,
    Succeeded,
    Failed,
}
