namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>When a job polls its task: pure functions of the time since the submission and the recent model times.</summary>
/// <remarks>
/// <para>
/// With recent model times of the job's kind (model, function, size), polls are dense where the end is likely: an
/// early poll (<see cref="PollPlan.First"/>) to catch a fast failure, sparse polls (<see cref="PollPlan.Steady"/>)
/// until the early end of the usual range, every <see cref="PollPlan.EndInterval"/> through it, then the steady
/// interval again. Without history, the official SDK's schedule (<c>VideoSynthesis.wait</c>: 1 s, doubling every 3
/// polls up to 5 s) for the first <see cref="SdkSpanIntervals"/> steady intervals, then the steady interval.
/// </para>
/// <para>
/// Times are due times counted from the submission, so the time a poll takes is not added to every interval. The
/// Azure Storage backend may fire a timer up to a second early (queue visibility has whole seconds): a poll in the
/// usual range is not padded for it — one that comes too early is followed by the next, an end interval later —
/// while a poll outside it is set <see cref="TimerPad"/> late, as missing the end there costs a whole interval.
/// </para>
/// </remarks>
public static class JobSchedule
{
    /// <summary>Polls per step of the SDK schedule: its wait doubles every 3 polls.</summary>
    public const int SdkPollsPerStep = 3;

    /// <summary>The SDK schedule's longest wait, in first waits (5 s for 1 s).</summary>
    public const int SdkCapFirsts = 5;

    /// <summary>How long the SDK schedule is followed without history, in steady intervals (1 min for 15 s).</summary>
    public const int SdkSpanIntervals = 4;

    /// <summary>The recent model times a range is taken from; the fastest and slowest tenth are left out once there are 10.</summary>
    public const int RecentCount = 20;

    /// <summary>The schedule of a job: the job's poll settings and the range of <paramref name="recentSeconds"/>, if any.</summary>
    public static PollPlan Plan(VaceJobRequest job, IReadOnlyList<double>? recentSeconds)
    {
        ArgumentNullException.ThrowIfNull(job);
        // Dense polls are never sparser than the steady ones (settings for tests or demos may make them short).
        var plan = new PollPlan(job.InitialPollInterval, job.PollInterval, Min(job.EndPollInterval, job.PollInterval));
        var times = (recentSeconds ?? []).TakeLast(RecentCount).Where(s => double.IsFinite(s) && s > 0).Order().ToArray();
        if (times.Length == 0)
        {
            return plan;
        }

        var trim = times.Length / 10;
        return plan with { RangeStart = TimeSpan.FromSeconds(times[trim]), RangeEnd = TimeSpan.FromSeconds(times[^(trim + 1)]) };
    }

    /// <summary>
    /// When the next poll is due, counted from the submission, after <paramref name="polls"/> polls of which the last
    /// was due at <paramref name="previous"/>.
    /// </summary>
    public static TimeSpan NextDue(PollPlan plan, TimeSpan previous, int polls)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.RangeStart is not { } start || plan.RangeEnd is not { } end)
        {
            return previous < plan.Steady * SdkSpanIntervals ? previous + SdkWait(plan.First, polls + 1) : previous + plan.Steady;
        }

        if (polls == 0)
        {
            return previous + (start > TimeSpan.Zero ? Min(plan.First, start) : plan.First);
        }

        // Through the range and one end interval past it: a task as slow as the slowest is seen a moment after.
        return previous < start ? Min(previous + plan.Steady, start)
            : previous < end + plan.EndInterval ? previous + plan.EndInterval
            : previous + plan.Steady;
    }

    /// <summary>The wait before SDK poll <paramref name="poll"/> (1-based): 1, 1, 1, 2, 2, 2, 4, 4, 4, 5, … first waits.</summary>
    public static TimeSpan SdkWait(TimeSpan first, int poll) =>
        Min(first * Math.Pow(2, Math.Max(0, poll - 1) / SdkPollsPerStep), first * SdkCapFirsts);

    /// <summary>
    /// How far past its due time <paramref name="due"/> a poll's timer is set: nothing in the usual range; elsewhere a
    /// second (or the wait, if shorter) so an early timer does not poll just before the end and wait a whole interval.
    /// </summary>
    public static TimeSpan TimerPad(PollPlan plan, TimeSpan due, TimeSpan wait)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var inRange = plan.RangeStart is { } start && plan.RangeEnd is { } end && due >= start && due <= end + plan.EndInterval;
        return inRange ? TimeSpan.Zero : Min(wait, TimeSpan.FromSeconds(1));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
