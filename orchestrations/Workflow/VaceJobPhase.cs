namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>Where a job is, as its custom status shows it.</summary>
public enum VaceJobPhase
{
    Probing,
    WaitingForSlot,
    Submitting,
    Generating,
    Copying,
    WritingManifest,
    Notifying,
    Succeeded,
    Failed,
}
