using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Workflow;

/// <summary>The poll schedule as pure functions, with the default settings (first wait 1 s, steady 15 s, end 2 s).</summary>
public sealed class JobScheduleTests
{
    private static readonly VaceJobRequest Defaults = new()
    {
        JobId = "j",
        RequestJson = "{}",
        Function = "video_edit",
        Model = "wan2.1-vace-plus",
        OutputContainer = "vace-output",
        OutputBlob = "j/output.mp4",
        ManifestBlob = "j/result.json",
    };

    [Fact]
    public void NextDue_WithNoHistory_IsTheSdkScheduleForAMinuteThenTheSteadyInterval()
    {
        var plan = JobSchedule.Plan(Defaults, []);

        Assert.Equal([1, 1, 1, 2, 2, 2, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 15, 15], Waits(plan, 19));
    }

    [Fact]
    public void NextDue_WithHistory_PollsEarly_ThenSparse_ThenEveryEndIntervalThroughTheRange_ThenSteady()
    {
        var plan = JobSchedule.Plan(Defaults, [30.0, 36.0, 33.0]);

        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(36)), (plan.RangeStart!.Value, plan.RangeEnd!.Value));
        Assert.Equal([1, 16, 30, 32, 34, 36, 38, 53, 68], Dues(plan, 9));
    }

    [Fact]
    public void NextDue_WithTasksOfOneLength_PollsAtItAndOnceMore_ThirtySecondsInAFewPolls()
    {
        var plan = JobSchedule.Plan(Defaults, [30.02, 30.02]);

        // 30.02 s: the early, one sparse, then through the range and one end interval past it.
        Assert.Equal([1, 16, 30.02, 32.02, 47.02], Dues(plan, 5));
    }

    [Fact]
    public void Plan_LeavesOutTheFastestAndSlowestTenth_OfAtMostTheLast20Times()
    {
        double[] times = [.. Enumerable.Repeat(1000.0, 5), 5, 40, .. Enumerable.Range(0, 18).Select(i => 30.0 + i % 3)];

        var plan = JobSchedule.Plan(Defaults, times);

        // The last 20: 5, 40, then 30, 31, 32 repeating; 2 left out at each end (5 and a 30, 40 and a 32).
        Assert.Equal((30.0, 32.0), (plan.RangeStart!.Value.TotalSeconds, plan.RangeEnd!.Value.TotalSeconds));
    }

    [Fact]
    public void TimerPad_IsNoneInTheRange_AndASecondOutsideIt()
    {
        var plan = JobSchedule.Plan(Defaults, [30.0]);

        Assert.Equal(TimeSpan.Zero, JobSchedule.TimerPad(plan, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(14)));
        Assert.Equal(TimeSpan.Zero, JobSchedule.TimerPad(plan, TimeSpan.FromSeconds(32), TimeSpan.FromSeconds(2)));
        Assert.Equal(TimeSpan.FromSeconds(1), JobSchedule.TimerPad(plan, TimeSpan.FromSeconds(16), TimeSpan.FromSeconds(15)));
        Assert.Equal(TimeSpan.FromSeconds(1), JobSchedule.TimerPad(JobSchedule.Plan(Defaults, []), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2)));
        Assert.Equal(TimeSpan.FromSeconds(0.5), JobSchedule.TimerPad(JobSchedule.Plan(Defaults, []), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(0.5)));
    }

    [Fact]
    public void SteadyEvery_PollsAtTheIntervalFromWhereItStarts()
    {
        var plan = PollPlan.SteadyEvery(TimeSpan.FromSeconds(15));

        Assert.Equal(TimeSpan.FromSeconds(55), JobSchedule.NextDue(plan, TimeSpan.FromSeconds(40), 0));
        Assert.Equal(TimeSpan.FromSeconds(55), JobSchedule.NextDue(plan, TimeSpan.FromSeconds(40), 7));
        Assert.Equal(TimeSpan.FromSeconds(1), JobSchedule.TimerPad(plan, TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(15)));
    }

    /// <summary>The due times of the first <paramref name="count"/> polls, in seconds from the submission.</summary>
    private static double[] Dues(PollPlan plan, int count)
    {
        var dues = new List<double>();
        var due = TimeSpan.Zero;
        for (var polls = 0; polls < count; polls++)
        {
            due = JobSchedule.NextDue(plan, due, polls);
            dues.Add(Math.Round(due.TotalSeconds, 3));
        }

        return [.. dues];
    }

    private static double[] Waits(PollPlan plan, int count)
    {
        var dues = Dues(plan, count);
        return [.. dues.Select((d, i) => Math.Round(d - (i == 0 ? 0 : dues[i - 1]), 3))];
    }
}
