namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>Whether a problem stops the job (error) or only deserves attention (warning).</summary>
public enum JobIssueSeverity
{
    Error,
    Warning,
}
