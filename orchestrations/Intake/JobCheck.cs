using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>
/// What intake makes of a document without acting on it (<see cref="JobIntake.Check"/>): the job when it can run
/// (<see cref="Issues"/> then holds its warnings), else null with every issue; <see cref="JobId"/> is the job's id,
/// or the id its rejection is filed under.
/// </summary>
public sealed record JobCheck(string JobId, VaceJob? Job, IReadOnlyList<JobIssue> Issues)
{
    public IEnumerable<JobIssue> Errors => Issues.Where(i => i.Severity == JobIssueSeverity.Error);
}
