using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>What intake did with a document: started its job, found it already running or done, or rejected it.</summary>
public sealed record IntakeOutcome(IntakeStatus Status, string JobId, IReadOnlyList<JobIssue> Issues)
{
    public IEnumerable<JobIssue> Errors => Issues.Where(i => i.Severity == JobIssueSeverity.Error);

    public IEnumerable<JobIssue> Warnings => Issues.Where(i => i.Severity == JobIssueSeverity.Warning);
}

public enum IntakeStatus
{
    /// <summary>A new job was started.</summary>
    Started,

    /// <summary>A job with this id exists already (a duplicate delivery); nothing new was started.</summary>
    Existing,

    /// <summary>The document can never run; a rejection record with every error was written.</summary>
    Rejected,
}
