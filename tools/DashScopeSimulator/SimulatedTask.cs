using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.DashScopeSimulator;

/// <summary>
/// One task and its fixed script: the lifecycle is computed from the time it was submitted, so no background
/// work is needed and a query at any moment sees the status the real service would show — also after a restart of a
/// simulator that keeps its state in a file, since the script is all there is to keep.
/// </summary>
internal sealed class SimulatedTask(string id, DateTimeOffset submittedAt, string? failCode, bool stuck)
{
    public string Id { get; } = id;

    public DateTimeOffset SubmittedAt { get; } = submittedAt;

    public string? FailCode { get; } = failCode;

    public bool Stuck { get; } = stuck;

    public DateTimeOffset? CanceledAt { get; set; }

    public DashScopeTaskStatus StatusAt(DateTimeOffset now, SimulatorOptions options)
    {
        if (now - SubmittedAt > options.TaskLifetime)
        {
            return DashScopeTaskStatus.Unknown;
        }

        if (CanceledAt is not null)
        {
            return DashScopeTaskStatus.Canceled;
        }

        if (now < ScheduledAt(options))
        {
            return DashScopeTaskStatus.Pending;
        }

        if (Stuck || now < EndsAt(options))
        {
            return DashScopeTaskStatus.Running;
        }

        return FailCode is null ? DashScopeTaskStatus.Succeeded : DashScopeTaskStatus.Failed;
    }

    public DateTimeOffset ScheduledAt(SimulatorOptions options) => SubmittedAt + options.PendingDuration;

    public DateTimeOffset EndsAt(SimulatorOptions options) => CanceledAt ?? ScheduledAt(options) + options.RunningDuration;
}
