using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>When a job polls, asks, submits and retries: pure functions of its settings and the time.</summary>
/// <remarks>
/// <para>
/// Polls, slot asks and refused submissions wait on durable timers by these functions, and every step's retries
/// follow <see cref="TransientRetry"/> (the output copy <see cref="CopyRetry"/>); the orchestrator only calls them.
/// </para>
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

    /// <summary>
    /// Submissions the service refused for now that are retried quickly, as the service asks (Retry-After) or doubling
    /// from <see cref="SubmitFirstRetry"/>; after them, every <see cref="VaceJobRequest.SubmitMaxRetry"/>.
    /// </summary>
    /// <remarks>Throttling recovers within about a minute.</remarks>
    internal const int SubmitAttempts = 8;

    /// <summary>The wait after the first refused submission, when the service does not say.</summary>
    internal static readonly TimeSpan SubmitFirstRetry = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between polls while the service cannot be reached (the wait doubles).</summary>
    internal static readonly TimeSpan OutagePollCap = TimeSpan.FromMinutes(5);

    /// <summary>The retries of steps that fail only through passing trouble (storage, network).</summary>
    /// <remarks>
    /// 5 attempts, waiting from the job's <see cref="VaceJobRequest.StepRetryInterval"/> and doubling up to 1 min
    /// (2, 4, 8, 16 s by default).
    /// </remarks>
    internal static RetryPolicy TransientRetry(VaceJobRequest job) =>
        new(5, job.StepRetryInterval, 2.0, TimeSpan.FromMinutes(1))
        {
            // Another job's blob under this job's name stays another's, and a callback receiver that refused the
            // request refuses it again: trying again cannot help.
            HandleFailure = failure => failure.ErrorType != typeof(OutputConflictException).FullName
                && failure.ErrorType != typeof(CallbackRefusedException).FullName,
        };

    /// <summary>The retries of the output copy: backing off up to 15 minutes, for the job's copy window.</summary>
    /// <remarks>
    /// The result's URL lives 24 hours after the task ends, and the video is paid for, so passing trouble (storage,
    /// network) is retried for the job's <see cref="VaceJobRequest.OutputCopyWindow"/> (23 hours) before giving up.
    /// </remarks>
    internal static RetryPolicy CopyRetry(VaceJobRequest job) =>
        new(10_000, job.StepRetryInterval, 2.0, TimeSpan.FromMinutes(15), retryTimeout: job.OutputCopyWindow);

    /// <summary>When the next poll is due: <paramref name="delay"/> after the previous one was due.</summary>
    /// <remarks>
    /// Not after it returned: polls keep to a grid counted from the submission, so the time a poll takes is not
    /// added to every interval; a poll that returned past its successor's time is followed at once.
    /// </remarks>
    internal static DateTime NextPollAt(DateTime previousDue, TimeSpan delay, DateTime now) =>
        previousDue + delay > now ? previousDue + delay : now;

    /// <summary>The delay before the next poll after one that could not reach the service: doubling to 5 min.</summary>
    internal static TimeSpan NextOutageDelay(TimeSpan previous) => Min(previous * 2, OutagePollCap);

    /// <summary>How long a slot is leased: the job's wait, its time following a billed task, and a margin.</summary>
    /// <remarks>A job that vanishes (terminated, purged) loses its slot when the lease ends.</remarks>
    internal static TimeSpan SlotLease(VaceJobRequest job) =>
        job.MaxWait + job.BilledTaskCeiling + TimeSpan.FromMinutes(15);

    /// <summary>The delay before asking again for a slot: doubling up to 4 intervals.</summary>
    /// <remarks>
    /// Asking less often the longer a job waits keeps its history short; its place in line is kept meanwhile, well
    /// inside the line's staleness limit.
    /// </remarks>
    internal static TimeSpan NextSlotDelay(TimeSpan previous, VaceJobRequest job) =>
        Min(previous * 2, job.SlotRetryInterval * 4);

    /// <summary>The wait after refused submission <paramref name="attempt"/> (1-based).</summary>
    /// <remarks>
    /// For the quick attempts the service's Retry-After, else doubling from 5 s, up to the job's
    /// <see cref="VaceJobRequest.SubmitMaxRetry"/> (1 min); after them that maximum, whatever the service asks, so a
    /// service that is down for long is asked once a minute.
    /// </remarks>
    internal static TimeSpan SubmitDelay(int attempt, TimeSpan? retryAfter, VaceJobRequest job) =>
        attempt >= SubmitAttempts ? job.SubmitMaxRetry
        : retryAfter is { } asked && asked > TimeSpan.Zero ? Min(asked, job.SubmitMaxRetry)
        : Min(SubmitFirstRetry * Math.Pow(2, attempt - 1), job.SubmitMaxRetry);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
