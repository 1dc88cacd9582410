namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// Everything the validator found in one document, errors and warnings together, and the job itself when
/// there were no errors.
/// </summary>
public sealed record JobValidationResult(IReadOnlyList<JobIssue> Issues, VaceJob? Job)
{
    public bool IsValid => Job is not null;

    public IEnumerable<JobIssue> Errors => Issues.Where(i => i.Severity == JobIssueSeverity.Error);

    public IEnumerable<JobIssue> Warnings => Issues.Where(i => i.Severity == JobIssueSeverity.Warning);
}
