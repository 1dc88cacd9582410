namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>The settings a job's polls are scheduled by (<see cref="JobSchedule"/>), fixed when its task is submitted.</summary>
/// <param name="First">The first poll's delay after the submission; with no history, the SDK schedule's first wait.</param>
/// <param name="Steady">The interval between sparse polls, and after the usual range.</param>
/// <param name="EndInterval">The interval between polls through the usual range of model times.</param>
/// <param name="RangeStart">The early end of the usual range of model times; null with no history.</param>
/// <param name="RangeEnd">The late end of the usual range; null with no history.</param>
public sealed record PollPlan(TimeSpan First, TimeSpan Steady, TimeSpan EndInterval, TimeSpan? RangeStart = null, TimeSpan? RangeEnd = null)
{
    /// <summary>Polls every <paramref name="interval"/>, from the first: for a task followed past the job's end.</summary>
    public static PollPlan SteadyEvery(TimeSpan interval) => new(interval, interval, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
}
