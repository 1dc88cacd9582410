namespace VaceFunctions.Orchestrations.Intake;

/// <summary>Where a job document came from; the blob-upload pipeline allows media named by relative blob names.</summary>
public enum IntakeSource
{
    Queue,
    Blob,
    Http,
    Cli,
}
