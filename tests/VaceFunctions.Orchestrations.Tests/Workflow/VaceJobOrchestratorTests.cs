using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Timing;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Workflow;

/// <summary>
/// Every branch of the orchestrator, run for real on the in-memory Durable Task engine against scripted activities.
/// Timers run in real time, so jobs here wait tens of milliseconds where the defaults wait seconds; the schedules
/// themselves are checked on the pure functions with the defaults.
/// </summary>
public class VaceJobOrchestratorTests
{
    private static readonly DateTime Start = new(2026, 11, 21, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>Deadline tests: a wait that would run far past the job's maximum wait.</summary>
    private static readonly TimeSpan LongWait = TimeSpan.FromSeconds(8);

    /// <summary>Deadline tests: long enough that a loaded machine still takes the first steps before it.</summary>
    private static readonly TimeSpan ShortMaxWait = TimeSpan.FromSeconds(3);

    /// <summary>The Retry-After of a throttled submission here: short, so the test does not wait the default 5 s.</summary>
    private static readonly TimeSpan RetryAfter = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Run_HappyPath_ProbesWaitsSubmitsPollsCopiesWritesAndNotifies()
    {
        var job = Fast(Request("video_edit", callback: "https://example.com/hook"));
        await using var workflow = Happy()
            .OnSequence(AcquireSlotActivity.Name, () => new SlotGrant(false, 1, null), () => new SlotGrant(false, 0, null), () => new SlotGrant(true, 0, Start));

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(("task-1", "SUCCEEDED", 1234L, "abc123"), (result.TaskId, result.TaskStatus, result.Size, result.Sha256));
        Assert.Equal($"{job.JobId}/output.mp4", result.Blob);
        Assert.Equal($"{job.JobId}/result.json", result.ManifestBlob);
        Assert.Equal(5, result.Usage!.VideoDuration);
        // The recent model times are read beside the submission, in either order, and before the first poll.
        Assert.Equal(
            [ProbeInputsActivity.Name, AcquireSlotActivity.Name, AcquireSlotActivity.Name, AcquireSlotActivity.Name, SubmitTaskActivity.Name,
             PollTaskActivity.Name, PollTaskActivity.Name, PollTaskActivity.Name, ReleaseSlotActivity.Name, RecordModelTimeActivity.Name,
             CopyOutputActivity.Name, WriteManifestActivity.Name, NotifyCallbackActivity.Name],
            workflow.Calls.Where(c => c.Name != RecentModelTimesActivity.Name).Select(c => c.Name));
        Assert.Equal([job.ModelTimeKey], workflow.InputsOf<string>(RecentModelTimesActivity.Name));
        Assert.True(workflow.Calls.First(c => c.Name == RecentModelTimesActivity.Name).At <= workflow.Calls.First(c => c.Name == PollTaskActivity.Name).At);
        Assert.Equal(job.ModelTimeKey, Assert.Single(workflow.InputsOf<RecordModelTimeActivity.Request>(RecordModelTimeActivity.Name)).Key);
        Assert.Contains(workflow.Statuses, s => s is { Phase: VaceJobPhase.WaitingForSlot, QueuePosition: 1 });
        Assert.Contains(workflow.Statuses, s => s is { Phase: VaceJobPhase.Generating, TaskId: "task-1", TaskStatus: "RUNNING", PollCount: 2 });
        Assert.Equal(VaceJobPhase.Succeeded, workflow.FinalStatus!.Phase);
        var manifest = ManifestOf(workflow);
        Assert.True(manifest.Result.Succeeded);
        Assert.Equal("video_edit", manifest.Request!["input"]!["function"]!.GetValue<string>());
        Assert.Contains("Generating", manifest.Phases.Keys);
    }

    [Fact]
    public void NextPollAt_KeepsToTheGridFromTheSubmission_AndPollsAtOnceWhenAPollRanPastItsSuccessor()
    {
        var submitted = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
        var interval = TimeSpan.FromSeconds(5);

        // Each poll took 0.3 s: the next is still due 5 s after the previous was due, not 5.3 s.
        var first = JobSchedule.NextPollAt(submitted, interval, submitted);
        var second = JobSchedule.NextPollAt(first, interval, first + TimeSpan.FromSeconds(0.3));
        var third = JobSchedule.NextPollAt(second, interval, second + TimeSpan.FromSeconds(0.3));
        Assert.Equal([submitted.AddSeconds(5), submitted.AddSeconds(10), submitted.AddSeconds(15)], [first, second, third]);

        // A poll that returned 7 s after it was due: the next one at once, then the grid again from there.
        var late = third + TimeSpan.FromSeconds(7);
        Assert.Equal(late, JobSchedule.NextPollAt(third, interval, late));
    }

    [Fact]
    public async Task Run_Status_CarriesTheTimeline_PhasesThatEndedAndWhenTheCurrentOneBegan()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy();

        Assert.True((await workflow.RunAsync(job)).Succeeded);

        var polling = workflow.Calls.First(c => c.Name == PollTaskActivity.Name).Status!;
        Assert.Equal(["Probing", "WaitingForSlot", "Submitting"], polling.Phases.Keys);
        Assert.Equal(polling.Phases["Submitting"].Ended, polling.PhaseStartedAt);
        Assert.All(polling.Phases.Values, p => Assert.True(p.Started <= p.Ended));
        var final = workflow.FinalStatus!;
        Assert.Null(final.PhaseStartedAt);
        Assert.Equal(["Probing", "WaitingForSlot", "Submitting", "Generating", "Copying", "WritingManifest"], final.Phases.Keys);
        Assert.Equal(ManifestOf(workflow).Phases["Generating"], final.Phases["Generating"]);
    }

    [Fact]
    public async Task Run_PollTimers_WithNoHistory_FollowTheSdkSchedule()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().OnSequence(PollTaskActivity.Name,
            () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Running),
            () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Succeeded));

        Assert.True((await workflow.RunAsync(job)).Succeeded);
        AssertPolledOnTheGrid([50, 50, 50, 100, 100], workflow.Calls.Where(c => c.Name is SubmitTaskActivity.Name or PollTaskActivity.Name));
    }

    [Fact]
    public async Task Run_TaskEndingMidRange_IsSeenWithinTheEndPollInterval_AfterAnEarlyAndASparsePoll()
    {
        // Recent tasks of the kind took 1.5-3 s; this one ends 2.3 s after its submission. The steady interval (8 s)
        // would see it at 8 s; dense polls every 400 ms through the range see it by 2.7 s.
        var job = Fast(Request("video_edit")) with { PollInterval = LongWait, EndPollInterval = TimeSpan.FromMilliseconds(400) };
        DateTime? endsAt = null;
        await using var workflow = Happy()
            .On(RecentModelTimesActivity.Name, () => new[] { 1.5, 3.0, 2.0 })
            .On(SubmitTaskActivity.Name, () =>
            {
                endsAt = DateTime.UtcNow.AddSeconds(2.3);
                return SubmitTaskActivity.Result.Created("task-1");
            })
            .On(PollTaskActivity.Name, () => Poll(DateTime.UtcNow >= endsAt ? DashScopeTaskStatus.Succeeded : DashScopeTaskStatus.Running));

        Assert.True((await workflow.RunAsync(job)).Succeeded);
        var polls = workflow.Calls.Where(c => c.Name == PollTaskActivity.Name).Select(c => c.At).ToArray();
        var seen = polls[^1] - endsAt!.Value;
        Assert.True(seen >= TimeSpan.Zero && seen <= job.EndPollInterval + TimeSpan.FromMilliseconds(300),
            $"The end was seen {seen.TotalMilliseconds:F0} ms after it; polls at {string.Join(", ", polls.Select(p => $"{(p - endsAt.Value).TotalSeconds:F2}"))} s from it.");

        // The early poll (50 ms), one sparse poll cut to the range's start (1.5 s), then 1.9, 2.3, 2.7 s at most.
        Assert.InRange(polls.Length, 4, 5);
    }

    [Fact]
    public async Task Run_ProbeFindsProblems_FailsWithInvalidInputBeforePaying()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().On(ProbeInputsActivity.Name, () => new[] { "input.video_url: is 7.00 s long; videos may be at most 5 s." });

        var result = await workflow.RunAsync(job);

        Assert.Equal((false, VaceJobErrorCodes.InvalidInput), (result.Succeeded, result.ErrorCode));
        Assert.Contains("7.00 s", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(0, workflow.CallCount(AcquireSlotActivity.Name));
        Assert.Equal(1, workflow.CallCount(WriteManifestActivity.Name));
    }

    [Fact]
    public async Task Run_ProbingDisabled_SkipsTheProbe()
    {
        var job = Fast(Request("video_edit", probe: false));
        await using var workflow = Happy();

        Assert.True((await workflow.RunAsync(job)).Succeeded);
        Assert.Equal(0, workflow.CallCount(ProbeInputsActivity.Name));
    }

    [Fact]
    public async Task Run_TaskFailed_ReportsTheServiceCodeAndReleasesTheSlot()
    {
        var job = Fast(Request("image_reference"));
        await using var workflow = Happy().On(PollTaskActivity.Name, () => Poll(DashScopeTaskStatus.Failed) with { Code = "DataInspectionFailed", Message = "inappropriate" });

        var result = await workflow.RunAsync(job);

        Assert.Equal(("DataInspectionFailed", "inappropriate", "FAILED"), (result.ErrorCode, result.ErrorMessage, result.TaskStatus));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
        Assert.Equal(0, workflow.CallCount(CopyOutputActivity.Name));
        Assert.Equal(1, workflow.CallCount(WriteManifestActivity.Name));
    }

    [Fact]
    public async Task Run_TaskStillGoingAtTheDeadlineAndCancelable_TimesOutCancelsItAndGivesTheSlotBack()
    {
        // The 8 s wait before the first poll is cut to the deadline at 3 s.
        var job = Fast(Request("video_edit")) with { InitialPollInterval = LongWait, PollInterval = LongWait, MaxWait = ShortMaxWait };
        await using var workflow = Happy().On(PollTaskActivity.Name, () => Poll(DashScopeTaskStatus.Running)).On(CancelTaskActivity.Name, () => true);

        var result = await workflow.RunAsync(job);

        Assert.Equal((VaceJobErrorCodes.Timeout, "RUNNING"), (result.ErrorCode, result.TaskStatus));
        Assert.EndsWith("the task was canceled.", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(1, workflow.CallCount(PollTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(CancelTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
        Assert.Equal(0, workflow.CallCount(CopyOutputActivity.Name));
        AssertEndedAtTheDeadline(DeadlineOf(workflow, job), workflow.FinalStatus!.LastPolledAt!.Value);
    }

    [Fact]
    public async Task Run_WaitingForASlot_AsksLessOftenUpToFourIntervals()
    {
        var defaults = Request("video_edit");
        Assert.Equal([5, 10, 20, 20], Schedule(defaults.SlotRetryInterval, d => JobSchedule.NextSlotDelay(d, defaults), 4));

        var job = Fast(defaults);
        await using var workflow = Happy().OnSequence(AcquireSlotActivity.Name,
            () => new SlotGrant(false, 0, null), () => new SlotGrant(false, 0, null), () => new SlotGrant(false, 0, null),
            () => new SlotGrant(false, 0, null), () => new SlotGrant(true, 0, Start));

        Assert.True((await workflow.RunAsync(job)).Succeeded);
        AssertWaitedAtLeast([50, 100, 200, 200], workflow.Calls.Where(c => c.Name == AcquireSlotActivity.Name));
    }

    [Fact]
    public async Task Run_SlotFreedEventWhileWaitingInLine_AsksAgainAtOnceWithoutWaitingForItsTimer()
    {
        // The timer alone would ask again 20 s after the first refusal.
        var job = Fast(Request("video_edit")) with { SlotRetryInterval = TimeSpan.FromSeconds(20) };
        await using var workflow = Happy().OnSequence(AcquireSlotActivity.Name, () => new SlotGrant(false, 0, null), () => new SlotGrant(true, 0, Start));

        await workflow.StartAsync(job);
        await workflow.WhenCalledAsync(AcquireSlotActivity.Name, 1);
        await workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.SlotFreedEvent, "holder");
        var result = await workflow.CompletionAsync(job.JobId);

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        var asks = workflow.Calls.Where(c => c.Name == AcquireSlotActivity.Name).Select(c => c.At).ToArray();
        Assert.Equal(2, asks.Length);
        Assert.True(asks[1] - asks[0] < TimeSpan.FromSeconds(10), $"Asked again {(asks[1] - asks[0]).TotalSeconds:F1} s after the refusal.");
        Assert.Equal([false, true], workflow.InputsOf<AcquireSlotActivity.Request>(AcquireSlotActivity.Name).Select(r => r.InLine));
    }

    [Fact]
    public async Task Run_SlotFreedEventsWhileWaitingInLine_EachWakeTheJobOnce_AndTheTimerStillAsks()
    {
        // Two events: each wakes one ask (not a stale wait); with no more events, the timer asks again.
        var job = Fast(Request("video_edit")) with { SlotRetryInterval = TimeSpan.FromMilliseconds(500) };
        await using var workflow = Happy().OnSequence(AcquireSlotActivity.Name,
            () => new SlotGrant(false, 1, null), () => new SlotGrant(false, 0, null), () => new SlotGrant(false, 0, null), () => new SlotGrant(true, 0, Start));

        await workflow.StartAsync(job);
        await workflow.WhenCalledAsync(AcquireSlotActivity.Name, 1);
        await workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.SlotFreedEvent, "a");
        await workflow.WhenCalledAsync(AcquireSlotActivity.Name, 2);
        await workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.SlotFreedEvent, "b");
        var result = await workflow.CompletionAsync(job.JobId);

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Equal(4, workflow.CallCount(AcquireSlotActivity.Name));
    }

    [Fact]
    public async Task Run_NoSlotBeforeTheDeadline_TimesOutWithoutSubmittingAndLeavesTheLine()
    {
        // Asks at once, then at the deadline (3 s) rather than 8 s later.
        var job = Fast(Request("video_edit")) with { SlotRetryInterval = LongWait, MaxWait = ShortMaxWait };
        await using var workflow = Happy().On(AcquireSlotActivity.Name, () => new SlotGrant(false, 3, null));

        var result = await workflow.RunAsync(job);

        Assert.Equal(VaceJobErrorCodes.Timeout, result.ErrorCode);
        Assert.Equal(2, workflow.CallCount(AcquireSlotActivity.Name));
        Assert.Equal(0, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal([job.JobId], workflow.InputsOf<string>(ReleaseSlotActivity.Name));
        Assert.Contains(workflow.Statuses, s => s.QueuePosition == 3);
        AssertEndedAtTheDeadline(DeadlineOf(workflow, job), ManifestOf(workflow).Phases[nameof(VaceJobPhase.WaitingForSlot)].Ended);
    }

    [Fact]
    public void TransientRetry_ByDefault_TriesFiveTimesWaiting2_4_8_16Seconds()
    {
        var policy = JobSchedule.TransientRetry(Request("video_edit"));

        Assert.Equal((5, TimeSpan.FromSeconds(2), 2.0, TimeSpan.FromMinutes(1)), (policy.MaxNumberOfAttempts, policy.FirstRetryInterval, policy.BackoffCoefficient, policy.MaxRetryInterval));
    }

    [Fact]
    public void SubmitDelay_WithoutRetryAfter_DoublesFromFiveSecondsUpToAMinute_HonorsRetryAfter_ThenEveryMinute()
    {
        var job = Request("video_edit");
        Assert.Equal([5, 10, 20, 40, 60, 60, 60, 60, 60], Enumerable.Range(1, JobSchedule.SubmitAttempts + 1).Select(a => JobSchedule.SubmitDelay(a, null, job).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(3), JobSchedule.SubmitDelay(4, TimeSpan.FromSeconds(3), job));
        Assert.Equal(TimeSpan.FromMinutes(1), JobSchedule.SubmitDelay(1, TimeSpan.FromMinutes(10), job));
        Assert.Equal(TimeSpan.FromSeconds(20), JobSchedule.SubmitDelay(3, TimeSpan.Zero, job));

        // Once the quick attempts are spent, a short Retry-After no longer sets the pace.
        Assert.Equal(TimeSpan.FromMinutes(1), JobSchedule.SubmitDelay(JobSchedule.SubmitAttempts, TimeSpan.FromSeconds(3), job));
    }

    [Fact]
    public async Task Run_SubmissionsRefusedPastTheQuickAttempts_AreTriedAgainUntilTheServiceIsBack()
    {
        var job = Fast(Request("video_edit")) with { SubmitMaxRetry = TimeSpan.FromMilliseconds(100) };
        var refusals = JobSchedule.SubmitAttempts + 4;
        var answers = Enumerable.Range(0, refusals)
            .Select(_ => (Func<object?>)(() => new SubmitTaskActivity.Result(null, "ConnectionFailed", "Could not connect to DashScope.") { Retryable = true }))
            .Append(() => SubmitTaskActivity.Result.Created("task-1"))
            .ToArray();
        await using var workflow = Happy().OnSequence(SubmitTaskActivity.Name, answers);

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(refusals + 1, workflow.CallCount(SubmitTaskActivity.Name));
    }

    [Fact]
    public async Task Run_SubmissionsRefusedUntilTheDeadline_EndWithTheLastRefusal_NoTryPastTheDeadline()
    {
        var job = Fast(Request("video_edit")) with { SubmitMaxRetry = TimeSpan.FromMilliseconds(300), MaxWait = ShortMaxWait };
        await using var workflow = Happy().On(SubmitTaskActivity.Name, () => new SubmitTaskActivity.Result(null, "ConnectionFailed", "Could not connect to DashScope.") { Retryable = true });

        var result = await workflow.RunAsync(job);

        Assert.Equal("ConnectionFailed", result.ErrorCode);
        var submits = workflow.Calls.Where(c => c.Name == SubmitTaskActivity.Name).ToArray();
        Assert.True(submits.Length > JobSchedule.SubmitAttempts, $"{submits.Length} submissions");
        Assert.All(submits, s => Assert.True(s.At < DeadlineOf(workflow, job), $"a submission at {s.At:O}, past the deadline"));
    }

    [Fact]
    public async Task Run_SubmitThrottledTwice_RetriesOnTimersAndSucceeds()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().OnSequence(SubmitTaskActivity.Name,
            () => Throttled("Throttling.RateQuota"), () => Throttled("Throttling.RateQuota"), () => SubmitTaskActivity.Result.Created("task-1"));

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(3, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
        var submits = workflow.Calls.Where(c => c.Name == SubmitTaskActivity.Name).ToArray();
        AssertWaitedAtLeast([RetryAfter.TotalMilliseconds, RetryAfter.TotalMilliseconds], submits);
        Assert.True(submits[^1].At - submits[0].At < JobSchedule.SubmitFirstRetry, "The service's Retry-After was not honored.");
    }

    [Fact]
    public async Task Run_SubmitThrottledForever_FailsWithTheServiceCodeAndReleasesTheSlot()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().On(SubmitTaskActivity.Name, () => Throttled("Throttling"));

        var result = await workflow.RunAsync(job);

        Assert.Equal(("Throttling", "slow down"), (result.ErrorCode, result.ErrorMessage));
        Assert.Equal(JobSchedule.SubmitAttempts, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(0, workflow.CallCount(PollTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
    }

    [Fact]
    public async Task Run_CancelEventWhileWaitingOutThrottling_EndsCanceledAndReleasesTheSlot()
    {
        var job = Fast(Request("video_edit"));
        // A wait the deadline (30 s) allows: one that would end past it is not waited, the job ends at once.
        await using var workflow = Happy().On(SubmitTaskActivity.Name, () => Throttled("Throttling") with { RetryAfter = TimeSpan.FromSeconds(20) });

        await workflow.StartAsync(job);
        await workflow.WhenCalledAsync(SubmitTaskActivity.Name, 1);
        await workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.CancelEvent, "not needed any more");
        var result = await workflow.CompletionAsync(job.JobId);

        Assert.Equal((VaceJobErrorCodes.Canceled, "Canceled: not needed any more"), (result.ErrorCode, result.ErrorMessage));
        Assert.Equal(1, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(0, workflow.CallCount(PollTaskActivity.Name));
        Assert.Equal(0, workflow.CallCount(CancelTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
    }

    [Theory]
    [InlineData("InvalidParameter")]
    [InlineData(VaceJobErrorCodes.AmbiguousSubmit)]
    public async Task Run_SubmitRefusedOrAmbiguous_FailsWithThatCodeOnce(string code)
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().On(SubmitTaskActivity.Name, () => new SubmitTaskActivity.Result(null, code, "no"));

        var result = await workflow.RunAsync(job);

        Assert.Equal(code, result.ErrorCode);
        Assert.Equal(1, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(0, workflow.CallCount(PollTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
    }

    [Theory]
    [InlineData(VaceJobErrorCodes.OutputExpired, "The result's URL answered HTTP 403.")]
    [InlineData(VaceJobErrorCodes.OutputTooLarge, "The result video is longer than the limit.")]
    [InlineData(VaceJobErrorCodes.OutputRefused, "The result's URL was not fetched: Refusing to connect to 10.0.0.1.")]
    public async Task Run_CopyThatNoRetryWouldMend_FailsWithItsCodeWithoutRetrying(string code, string message)
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().On(CopyOutputActivity.Name, () => CopyOutputActivity.Result.Failed(code, message));

        var result = await workflow.RunAsync(job);

        Assert.Equal((code, message), (result.ErrorCode, result.ErrorMessage));
        Assert.Equal(1, workflow.CallCount(CopyOutputActivity.Name));
        Assert.Equal(1, workflow.CallCount(WriteManifestActivity.Name));
    }

    [Fact]
    public async Task Run_CopyFailsForAWhile_IsRetried()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().OnSequence(CopyOutputActivity.Name,
            () => throw new IOException("connection reset"), () => new CopyOutputActivity.Result("http://blob", 1234, "abc123", 5));

        Assert.True((await workflow.RunAsync(job)).Succeeded);
        Assert.Equal(2, workflow.CallCount(CopyOutputActivity.Name));
        AssertWaitedAtLeast([job.StepRetryInterval.TotalMilliseconds], workflow.Calls.Where(c => c.Name == CopyOutputActivity.Name));
    }

    [Fact]
    public async Task Run_CopyFailsMoreTimesThanOtherSteps_KeepsRetryingAndSucceeds()
    {
        var job = Fast(Request("video_edit"));
        var failures = 0;
        await using var workflow = Happy().On(CopyOutputActivity.Name, () =>
            ++failures <= 6 ? throw new IOException("storage busy") : new CopyOutputActivity.Result("http://blob", 1234, "abc123", 5));

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(7, workflow.CallCount(CopyOutputActivity.Name));
    }

    [Fact]
    public async Task Run_CopyFailingPastItsWindow_EndsWithOutputExpired()
    {
        var job = Fast(Request("video_edit")) with { OutputCopyWindow = TimeSpan.FromMilliseconds(500) };
        await using var workflow = Happy().On(CopyOutputActivity.Name, () => throw new IOException("storage down"));

        var result = await workflow.RunAsync(job);

        Assert.Equal(VaceJobErrorCodes.OutputExpired, result.ErrorCode);
        Assert.Contains("storage down", result.ErrorMessage, StringComparison.Ordinal);
        Assert.True(workflow.CallCount(CopyOutputActivity.Name) >= 2);
    }

    [Theory]
    [InlineData(DashScopeTaskStatus.Canceled, VaceJobErrorCodes.Canceled)]
    [InlineData(DashScopeTaskStatus.Unknown, VaceJobErrorCodes.TaskUnknown)]
    public async Task Run_TaskCanceledOrUnknown_FailsWithItsCode(DashScopeTaskStatus status, string code)
    {
        var job = Fast(Request("video_outpainting"));
        await using var workflow = Happy().On(PollTaskActivity.Name, () => Poll(status));

        Assert.Equal(code, (await workflow.RunAsync(job)).ErrorCode);
    }

    [Fact]
    public void StatusWarnings_ManyAndLong_StayFarBelowTheCustomStatusLimit()
    {
        var many = Enumerable.Range(0, 500).Select(i => new JobIssue(JobIssueSeverity.Warning, "unknown_field", $"input.x{i}", new string('w', 2000))).ToArray();
        var job = Request("video_edit") with { Warnings = many };

        var shown = JobTimeline.StatusWarnings(job);

        Assert.Equal(21, shown.Length);
        Assert.All(shown, w => Assert.True(w.Length <= 300));
        Assert.Equal("and 480 more warnings (see the manifest)", shown[^1]);
        Assert.True(WorkflowJson.Serialize(new VaceJobStatus { Warnings = shown }).Length < 8 * 1024);
    }

    [Fact]
    public async Task Run_CancelArrivingWhileProbing_EndsCanceledWithoutSubmitting()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy();
        workflow.On(ProbeInputsActivity.Name, () =>
        {
            workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.CancelEvent, "changed my mind").GetAwaiter().GetResult();
            return Array.Empty<string>();
        });

        var result = await workflow.RunAsync(job);

        Assert.Equal((VaceJobErrorCodes.Canceled, "Canceled: changed my mind"), (result.ErrorCode, result.ErrorMessage));
        Assert.Equal(0, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(0, workflow.CallCount(AcquireSlotActivity.Name));
    }

    [Fact]
    public async Task Run_CancelArrivingWhileTheSlotIsGranted_EndsCanceledWithoutSubmittingAndGivesTheSlotBack()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy();
        workflow.On(AcquireSlotActivity.Name, () =>
        {
            workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.CancelEvent, "too late").GetAwaiter().GetResult();
            return new SlotGrant(true, 0, Start);
        });

        var result = await workflow.RunAsync(job);

        Assert.Equal(VaceJobErrorCodes.Canceled, result.ErrorCode);
        Assert.Equal(0, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
    }

    [Fact]
    public async Task Run_CancelArrivingDuringThePollBeforeContinuingAsNew_IsNotLost()
    {
        var job = Fast(Request("video_edit")) with { PollsPerExecution = 1 };
        await using var workflow = Happy().On(CancelTaskActivity.Name, () => true);
        var polls = 0;
        workflow.On(PollTaskActivity.Name, () =>
        {
            if (++polls == 2)
            {
                workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.CancelEvent, "stop").GetAwaiter().GetResult();
            }

            return Poll(polls < 4 ? DashScopeTaskStatus.Running : DashScopeTaskStatus.Succeeded);
        });

        var result = await workflow.RunAsync(job);

        Assert.Equal(VaceJobErrorCodes.Canceled, result.ErrorCode);
        Assert.Equal(2, workflow.CallCount(PollTaskActivity.Name));
        Assert.Equal(["task-1"], workflow.InputsOf<string>(CancelTaskActivity.Name));
        Assert.Equal(0, workflow.CallCount(CopyOutputActivity.Name));
    }

    [Fact]
    public async Task Run_SlotGrantedOnlyAtTheDeadline_TimesOutWithoutSubmittingAndGivesTheSlotBack()
    {
        // The wait for the second ask is cut at the deadline, so the second ask comes exactly when time is up.
        var job = Fast(Request("video_edit")) with { MaxWait = TimeSpan.FromSeconds(1), SlotRetryInterval = TimeSpan.FromSeconds(10) };
        await using var workflow = Happy().OnSequence(AcquireSlotActivity.Name, () => new SlotGrant(false, 0, null), () => new SlotGrant(true, 0, Start));

        var result = await workflow.RunAsync(job);

        Assert.Equal(VaceJobErrorCodes.Timeout, result.ErrorCode);
        Assert.Equal(0, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
    }

    [Fact]
    public async Task Run_StatusTheClientDoesNotKnow_KeepsPollingInsteadOfFailing()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().OnSequence(PollTaskActivity.Name,
            () => Poll(DashScopeTaskStatus.Unrecognized), () => Poll(DashScopeTaskStatus.Unrecognized), () => Poll(DashScopeTaskStatus.Succeeded));

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(3, workflow.CallCount(PollTaskActivity.Name));
    }

    [Fact]
    public async Task Run_LongTask_ContinuesAsNewEveryFewPolls_AndEndsAsOneJob()
    {
        var job = Fast(Request("video_edit")) with { PollsPerExecution = 2 };
        await using var workflow = Happy().OnSequence(PollTaskActivity.Name,
            () => Poll(DashScopeTaskStatus.Pending), () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Running),
            () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Succeeded));

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(
            [ProbeInputsActivity.Name, AcquireSlotActivity.Name, SubmitTaskActivity.Name, PollTaskActivity.Name, PollTaskActivity.Name,
             PollTaskActivity.Name, PollTaskActivity.Name, PollTaskActivity.Name, ReleaseSlotActivity.Name, RecordModelTimeActivity.Name,
             CopyOutputActivity.Name, WriteManifestActivity.Name],
            workflow.Calls.Where(c => c.Name != RecentModelTimesActivity.Name).Select(c => c.Name));

        // Read once, at the submission: the continued executions keep the schedule made then.
        Assert.Equal(1, workflow.CallCount(RecentModelTimesActivity.Name));
        Assert.Equal([1, 2, 3, 4], workflow.Calls.Where(c => c.Name == PollTaskActivity.Name).Skip(1).Select(c => c.Status!.PollCount));
        Assert.Equal((VaceJobPhase.Succeeded, 5, "task-1"), (workflow.FinalStatus!.Phase, workflow.FinalStatus.PollCount, workflow.FinalStatus.TaskId));
        var manifest = ManifestOf(workflow);
        Assert.Equal(["Probing", "WaitingForSlot", "Submitting", "Generating", "Copying"], manifest.Phases.Keys.Where(k => k != "WritingManifest"));
        Assert.True(manifest.Phases["Generating"].Started <= manifest.Phases["Submitting"].Ended.AddMilliseconds(1));
    }

    [Fact]
    public async Task Run_TaskRunningAtTheDeadline_ReportsTimeoutAtOnce_HoldsTheSlotUntilTheTaskEnds_AndCopiesItsVideo()
    {
        var job = Fast(Request("video_edit", callback: "https://example.com/hook")) with { MaxWait = ShortMaxWait };
        var task = new BilledTask(2, () => Poll(DashScopeTaskStatus.Succeeded));
        await using var workflow = Happy().On(PollTaskActivity.Name, () => task.Poll()).On(CancelTaskActivity.Name, () => task.Cancel());

        var result = await workflow.RunAsync(job);

        Assert.Equal((false, VaceJobErrorCodes.Timeout, "SUCCEEDED"), (result.Succeeded, result.ErrorCode, result.TaskStatus));
        Assert.Contains("could not be canceled: it runs on and is billed", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains($"The task then succeeded; its video, paid for, was copied to {job.OutputContainer}/{job.OutputBlob}.", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal((job.OutputBlob, "abc123", 1234L), (result.Blob, result.Sha256, result.Size));

        // Reported at once: the manifest and the callback came before the task's last polls; the slot after them.
        var names = workflow.Calls.Select(c => c.Name).ToList();
        var lastPoll = names.LastIndexOf(PollTaskActivity.Name);
        Assert.True(names.IndexOf(WriteManifestActivity.Name) < lastPoll - 1);
        Assert.True(names.IndexOf(NotifyCallbackActivity.Name) < lastPoll - 1);
        Assert.Equal(1, workflow.CallCount(NotifyCallbackActivity.Name));
        Assert.Equal([ReleaseSlotActivity.Name, CopyOutputActivity.Name, WriteManifestActivity.Name], names.Skip(lastPoll + 1));
        var manifests = workflow.InputsOf<WriteManifestActivity.Request>(WriteManifestActivity.Name);
        Assert.Equal((VaceJobErrorCodes.Timeout, null), (manifests[0].Manifest.Result.ErrorCode, manifests[0].Manifest.Result.Blob));
        Assert.Equal((VaceJobErrorCodes.Timeout, job.OutputBlob), (manifests[^1].Manifest.Result.ErrorCode, manifests[^1].Manifest.Result.Blob));
        Assert.Contains(workflow.Statuses, s => s is { Phase: VaceJobPhase.AwaitingBilledTask, Outcome.ErrorCode: VaceJobErrorCodes.Timeout });
    }

    [Fact]
    public async Task Run_CancelWhileTheTaskRuns_ReportsCanceledAtOnce_AndGivesTheSlotBackWhenTheTaskEnds()
    {
        var job = Fast(Request("video_edit", callback: "https://example.com/hook"));
        var task = new BilledTask(2, () => Poll(DashScopeTaskStatus.Failed));
        await using var workflow = Happy().On(PollTaskActivity.Name, () => task.Poll()).On(CancelTaskActivity.Name, () => task.Cancel());

        await workflow.StartAsync(job);
        await workflow.WhenCalledAsync(PollTaskActivity.Name, 2);
        await workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.CancelEvent, "the user changed their mind");
        var result = await workflow.CompletionAsync(job.JobId);

        Assert.Equal((VaceJobErrorCodes.Canceled, "FAILED"), (result.ErrorCode, result.TaskStatus));
        Assert.Equal(
            "Canceled: the user changed their mind; the task was already RUNNING and could not be canceled: it runs on and is billed. "
            + $"The job holds its task slot until the task ends (at most {job.BilledTaskCeiling} past the deadline) and copies a video it makes. The task then ended FAILED.",
            result.ErrorMessage);
        var names = workflow.Calls.Select(c => c.Name).ToList();
        Assert.True(names.IndexOf(NotifyCallbackActivity.Name) < names.LastIndexOf(PollTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(NotifyCallbackActivity.Name));
        Assert.Equal(names.LastIndexOf(PollTaskActivity.Name) + 1, names.IndexOf(ReleaseSlotActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
        Assert.Equal(0, workflow.CallCount(CopyOutputActivity.Name));
        Assert.Equal(VaceJobPhase.Failed, workflow.FinalStatus!.Phase);
    }

    [Fact]
    public async Task Run_BilledTaskNeverEnds_GivesTheSlotBackAtTheCeiling()
    {
        var job = Fast(Request("video_edit")) with { MaxWait = ShortMaxWait };
        await using var workflow = Happy().On(PollTaskActivity.Name, () => Poll(DashScopeTaskStatus.Running)).On(CancelTaskActivity.Name, () => false);

        var result = await workflow.RunAsync(job);

        Assert.Equal((VaceJobErrorCodes.Timeout, "RUNNING"), (result.ErrorCode, result.TaskStatus));
        Assert.EndsWith($"The task had not ended {job.BilledTaskCeiling} past the deadline; its slot was given back.", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
        Assert.Equal(0, workflow.CallCount(CopyOutputActivity.Name));
        var deadline = workflow.InputsOf<WriteManifestActivity.Request>(WriteManifestActivity.Name)[^1].Manifest.Phases[nameof(VaceJobPhase.Probing)].Started + job.MaxWait;
        Assert.True(workflow.FinalStatus!.LastPolledAt >= deadline + job.BilledTaskCeiling, $"last poll {workflow.FinalStatus.LastPolledAt:O}, deadline {deadline:O}");
    }

    [Fact]
    public async Task Run_FollowingABilledTask_ContinuesAsNew_AndReportsOnce()
    {
        var job = Fast(Request("video_edit", callback: "https://example.com/hook")) with { PollsPerExecution = 2 };
        var task = new BilledTask(4, () => Poll(DashScopeTaskStatus.Succeeded));
        await using var workflow = Happy().On(PollTaskActivity.Name, () => task.Poll()).On(CancelTaskActivity.Name, () => task.Cancel());

        await workflow.StartAsync(job);
        await workflow.WhenCalledAsync(PollTaskActivity.Name, 1);
        await workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.CancelEvent);
        var result = await workflow.CompletionAsync(job.JobId);

        Assert.Equal((VaceJobErrorCodes.Canceled, "SUCCEEDED", job.OutputBlob), (result.ErrorCode, result.TaskStatus, result.Blob));
        Assert.Equal(1, workflow.CallCount(NotifyCallbackActivity.Name));
        Assert.Equal(1, workflow.CallCount(CopyOutputActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
        Assert.Equal(2, workflow.CallCount(WriteManifestActivity.Name));
        Assert.Contains(nameof(VaceJobPhase.AwaitingBilledTask), ManifestsOf(workflow)[^1].Phases.Keys);
    }

    [Fact]
    public async Task Run_PollsCannotReachTheService_WaitBackingOff_ThenSucceed()
    {
        Assert.Equal([5, 10, 20, 40, 80, 160, 300, 300], Schedule(TimeSpan.FromSeconds(5), JobSchedule.NextOutageDelay, 8));

        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().OnSequence(PollTaskActivity.Name,
            () => Outage(), () => Outage(), () => Outage(), () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Succeeded));

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded, result.ErrorMessage);
        AssertPolledOnTheGrid([50, 100, 200, 400, 150], workflow.Calls.Where(c => c.Name is SubmitTaskActivity.Name or PollTaskActivity.Name));
        Assert.Contains(workflow.Statuses, s => s is { Outage: "RequestTimeOut: no answer", OutageSince: not null, Phase: VaceJobPhase.Generating });
        Assert.Null(workflow.FinalStatus!.Outage);
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
    }

    [Fact]
    public async Task Run_ServiceUnreachableThroughTheDeadline_TimesOutAndFollowsTheTask_NeverStepFailed()
    {
        var job = Fast(Request("video_edit")) with { MaxWait = ShortMaxWait };
        await using var workflow = Happy().On(PollTaskActivity.Name, () => Outage()).On(CancelTaskActivity.Name, () => throw new HttpRequestException("unreachable"));

        var result = await workflow.RunAsync(job);

        Assert.Equal((VaceJobErrorCodes.Timeout, "PENDING"), (result.ErrorCode, result.TaskStatus));
        Assert.Contains("could not be canceled", result.ErrorMessage, StringComparison.Ordinal);
        Assert.EndsWith("its slot was given back.", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(JobSchedule.TransientRetry(job).MaxNumberOfAttempts, workflow.CallCount(CancelTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
    }

    [Fact]
    public async Task Run_CancelEventAfterContinuingAsNew_StillCancelsTheTaskAndReleasesTheSlot()
    {
        var job = Fast(Request("video_edit")) with { PollsPerExecution = 1 };
        var task = new BilledTask(1, () => Poll(DashScopeTaskStatus.Failed));
        await using var workflow = Happy().On(PollTaskActivity.Name, () => task.Poll()).On(CancelTaskActivity.Name, () => task.Cancel());

        await workflow.StartAsync(job);
        await workflow.WhenCalledAsync(PollTaskActivity.Name, 3);
        await workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.CancelEvent, "no longer needed");
        var result = await workflow.CompletionAsync(job.JobId);

        Assert.Equal(VaceJobErrorCodes.Canceled, result.ErrorCode);
        Assert.StartsWith("Canceled: no longer needed", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(1, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(["task-1"], workflow.InputsOf<string>(CancelTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
        Assert.Equal(0, workflow.CallCount(CopyOutputActivity.Name));
    }

    [Fact]
    public async Task Run_CancelEventWhilePolling_CancelsTheTaskReleasesTheSlotAndCopiesNothing()
    {
        const string message = "Canceled: the user changed their mind; the task was canceled.";
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().On(PollTaskActivity.Name, () => Poll(DashScopeTaskStatus.Running)).On(CancelTaskActivity.Name, () => true);

        await workflow.StartAsync(job);
        await workflow.WhenCalledAsync(PollTaskActivity.Name, 2);
        await workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.CancelEvent, "the user changed their mind");
        var result = await workflow.CompletionAsync(job.JobId);

        Assert.Equal((VaceJobErrorCodes.Canceled, message), (result.ErrorCode, result.ErrorMessage));
        Assert.Equal(("task-1", "RUNNING"), (result.TaskId, result.TaskStatus));
        Assert.Equal(["task-1"], workflow.InputsOf<string>(CancelTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(ReleaseSlotActivity.Name));
        Assert.Equal(0, workflow.CallCount(CopyOutputActivity.Name));
        Assert.Equal(1, workflow.CallCount(WriteManifestActivity.Name));
        Assert.Equal(VaceJobPhase.Failed, workflow.FinalStatus!.Phase);
    }

    [Fact]
    public async Task Run_CancelEventWhileWaitingForASlot_EndsCanceledWithoutSubmittingAndLeavesTheLine()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().On(AcquireSlotActivity.Name, () => new SlotGrant(false, 2, null));

        await workflow.StartAsync(job);
        await workflow.WhenCalledAsync(AcquireSlotActivity.Name, 2);
        await workflow.Client.RaiseEventAsync(job.JobId, VaceJobOrchestrator.CancelEvent);
        var result = await workflow.CompletionAsync(job.JobId);

        Assert.Equal((VaceJobErrorCodes.Canceled, "Canceled by request"), (result.ErrorCode, result.ErrorMessage));
        Assert.Equal(0, workflow.CallCount(SubmitTaskActivity.Name));
        Assert.Equal([job.JobId], workflow.InputsOf<string>(ReleaseSlotActivity.Name));
        Assert.Equal(0, workflow.CallCount(CancelTaskActivity.Name));
        Assert.Equal(1, workflow.CallCount(WriteManifestActivity.Name));
    }

    [Fact]
    public async Task Run_OutputHeldByAnotherJob_FailsWithOutputConflictAndTheManifestConflictIsNotRetried()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy()
            .On(CopyOutputActivity.Name, () => CopyOutputActivity.Result.Failed(VaceJobErrorCodes.OutputConflict, "vace-output/x/output.mp4 already holds another job's output"))
            .On(WriteManifestActivity.Name, () => throw new OutputConflictException("vace-output/x/result.json already holds another job's record"));

        var result = await workflow.RunAsync(job);

        Assert.Equal((false, VaceJobErrorCodes.OutputConflict), (result.Succeeded, result.ErrorCode));
        Assert.Contains("another job's output", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("another job's record", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(1, workflow.CallCount(CopyOutputActivity.Name));
        Assert.Equal(1, workflow.CallCount(WriteManifestActivity.Name));
    }

    [Fact]
    public async Task Run_CallbackUnreachable_StillSucceedsWithAWarning()
    {
        var job = Fast(Request("video_extension", callback: "https://example.com/hook"));
        await using var workflow = Happy().On(NotifyCallbackActivity.Name, () => throw new HttpRequestException("refused"));

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded);
        Assert.Contains(result.Warnings, w => w.Code == "callback_failed");
        Assert.Equal(JobSchedule.TransientRetry(job).MaxNumberOfAttempts, workflow.CallCount(NotifyCallbackActivity.Name));
        var manifests = workflow.InputsOf<WriteManifestActivity.Request>(WriteManifestActivity.Name);
        Assert.Equal(2, manifests.Count);
        Assert.Contains(manifests[^1].Manifest.Result.Warnings, w => w.Code == "callback_failed");
        Assert.True(manifests[^1].Manifest.Result.Succeeded);
    }

    [Fact]
    public async Task Run_CallbackRefused_IsNotRetried_AndTheJobStillSucceedsWithAWarning()
    {
        var job = Fast(Request("video_extension", callback: "https://example.com/hook"));
        await using var workflow = Happy().On(NotifyCallbackActivity.Name, () => throw new CallbackRefusedException("The callback receiver answered HTTP 404 (Not Found).", System.Net.HttpStatusCode.NotFound));

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded);
        Assert.Contains(result.Warnings, w => w.Code == "callback_failed" && w.Message.Contains("404", StringComparison.Ordinal));
        Assert.Equal(1, workflow.CallCount(NotifyCallbackActivity.Name));
    }

    [Fact]
    public async Task Run_StorageTroubleForGood_FailsWithStepFailedNotAnException()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().On(AcquireSlotActivity.Name, () => throw new IOException("storage unreachable"));

        var result = await workflow.RunAsync(job);

        Assert.Equal(VaceJobErrorCodes.StepFailed, result.ErrorCode);
        Assert.Contains("AcquireSlot kept failing: storage unreachable", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(JobSchedule.TransientRetry(job).MaxNumberOfAttempts, workflow.CallCount(AcquireSlotActivity.Name));
    }

    [Fact]
    public async Task Run_SlotCannotBeGivenBack_StillCopiesTheVideoAndEndsWithAResult()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().On(ReleaseSlotActivity.Name, () => throw new IOException("storage unreachable"));

        var result = await workflow.RunAsync(job);

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(1, workflow.CallCount(CopyOutputActivity.Name));
        Assert.Equal(JobSchedule.TransientRetry(job).MaxNumberOfAttempts, workflow.CallCount(ReleaseSlotActivity.Name));
    }

    [Fact]
    public async Task Run_TaskSucceeded_CopyIsAskedForTheTaskNotGivenItsSignedUrl()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy();

        Assert.True((await workflow.RunAsync(job)).Succeeded);

        // The copy asks the service for the URL itself: the history keeps only which task and where it goes.
        var copy = Assert.Single(workflow.InputsOf<CopyOutputActivity.Request>(CopyOutputActivity.Name));
        Assert.Equal(new CopyOutputActivity.Request(job.JobId, "task-1", job.OutputContainer, job.OutputBlob), copy with { RunId = null });
        Assert.False(string.IsNullOrEmpty(copy.RunId));
    }

    [Fact]
    public async Task Run_TaskSucceededWithoutAVideo_FailsWithoutCopying()
    {
        var job = Fast(Request("video_edit"));
        await using var workflow = Happy().On(PollTaskActivity.Name, () => Poll(DashScopeTaskStatus.Succeeded) with { HasVideo = false });

        var result = await workflow.RunAsync(job);

        Assert.Equal((false, VaceJobErrorCodes.StepFailed), (result.Succeeded, result.ErrorCode));
        Assert.Contains("without a video_url", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, workflow.CallCount(CopyOutputActivity.Name));
    }

    [Fact]
    public void Request_FromAJob_CarriesTheSettingsAndTheMediaToProbe()
    {
        var job = Request("image_reference");

        Assert.Equal(["input.ref_images_url[0]", "input.ref_images_url[1]"], job.Media.Select(m => m.Path));
        Assert.All(job.Media, m => Assert.Equal(MediaKind.Image, m.Kind));
        Assert.Equal(TimeSpan.FromSeconds(15), job.PollInterval);
        Assert.Equal("vace-output", job.OutputContainer);

        var extension = Request("video_extension");
        Assert.Equal(MediaKind.Clip, Assert.Single(extension.Media).Kind);
    }

    [Fact]
    public void Request_JobWithProbeInputsFalse_IsNotProbed_AndTheFieldStaysOutOfTheRequest()
    {
        var document = Samples.Load("video_edit");
        document["probe_inputs"] = false;

        var request = VaceJobRequest.Create(JobValidator.Validate(document).Job!, new WorkflowOptions());

        Assert.Empty(request.Media);
        Assert.DoesNotContain("probe_inputs", request.RequestJson, StringComparison.Ordinal);
    }

    private static VaceJobRequest Request(string sample, string? callback = null, bool probe = true)
    {
        var document = Samples.Load(sample);
        if (callback is not null)
        {
            document["callback_url"] = callback;
        }

        var job = JobValidator.Validate(document).Job!;
        return VaceJobRequest.Create(job, new WorkflowOptions(), probe);
    }

    /// <summary>
    /// A job whose waits are a hundredth of the defaults: polls after 50, 100, 150 ms; slot asks after 50, 100, 200 ms;
    /// failed steps retried after 20, 40, 80, 160 ms.
    /// </summary>
    private static VaceJobRequest Fast(VaceJobRequest job) => job with
    {
        InitialPollInterval = TimeSpan.FromMilliseconds(50),
        PollInterval = TimeSpan.FromMilliseconds(150),
        SlotRetryInterval = TimeSpan.FromMilliseconds(50),
        StepRetryInterval = TimeSpan.FromMilliseconds(20),
        MaxWait = TimeSpan.FromSeconds(30),
        BilledTaskCeiling = TimeSpan.FromSeconds(1),
    };

    /// <summary>
    /// Each call came at least its wait (ms) after the one before: a timer is set once a call has returned, and the
    /// engine never fires one early (a millisecond of rounding aside).
    /// </summary>
    /// <summary>Each poll came no sooner than the sum of the delays before it, counted from the submission.</summary>
    private static void AssertPolledOnTheGrid(double[] delays, IEnumerable<ActivityCall> calls)
    {
        var at = calls.Select(c => c.At).ToArray();
        Assert.Equal(delays.Length + 1, at.Length);
        var since = at.Skip(1).Select(a => (a - at[0]).TotalMilliseconds).ToArray();
        var due = delays.Select((_, k) => delays.Take(k + 1).Sum()).ToArray();
        Assert.All(due.Zip(since), d => Assert.True(d.Second >= d.First - 2, $"Polled at {string.Join(", ", since.Select(g => $"{g:F0}"))} ms after the submission; expected at least {string.Join(", ", due)}."));
    }

    private static void AssertWaitedAtLeast(double[] waits, IEnumerable<ActivityCall> calls)
    {
        var at = calls.Select(c => c.At).ToArray();
        Assert.Equal(waits.Length + 1, at.Length);
        var gaps = at.Zip(at.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToArray();
        Assert.All(waits.Zip(gaps), w => Assert.True(w.Second >= w.First - 2, $"Waited {string.Join(", ", gaps.Select(g => $"{g:F0}"))} ms; expected at least {string.Join(", ", waits)}."));
    }

    /// <summary>The job's deadline: its maximum wait from its first step, on its own clock (when probing began).</summary>
    private static DateTime DeadlineOf(ScriptedWorkflow workflow, VaceJobRequest job) =>
        ManifestOf(workflow).Phases[nameof(VaceJobPhase.Probing)].Started + job.MaxWait;

    private static VaceJobManifest[] ManifestsOf(ScriptedWorkflow workflow) =>
        [.. workflow.InputsOf<WriteManifestActivity.Request>(WriteManifestActivity.Name).Select(r => r.Manifest)];

    private static VaceJobManifest ManifestOf(ScriptedWorkflow workflow) =>
        Assert.Single(workflow.InputsOf<WriteManifestActivity.Request>(WriteManifestActivity.Name)).Manifest;

    /// <summary>
    /// The job gave up once its clock had reached the deadline, and well before its last wait would have ended: the
    /// wait was cut to the deadline (a second of slack for a busy machine).
    /// </summary>
    private static void AssertEndedAtTheDeadline(DateTime deadline, DateTime ended)
    {
        Assert.True(ended >= deadline, $"The job gave up at {ended:O}, before its deadline {deadline:O}.");
        Assert.True(ended < deadline + LongWait - ShortMaxWait - TimeSpan.FromSeconds(1), $"The job gave up at {ended:O}, long after its deadline {deadline:O}.");
    }

    /// <summary>The first <paramref name="count"/> delays of a schedule, in seconds.</summary>
    private static double[] Schedule(TimeSpan first, Func<TimeSpan, TimeSpan> next, int count)
    {
        var delays = new List<double>();
        for (var delay = first; delays.Count < count; delay = next(delay))
        {
            delays.Add(delay.TotalSeconds);
        }

        return [.. delays];
    }

    /// <summary>Every step succeeds: a slot at once, the task PENDING, RUNNING, then SUCCEEDED.</summary>
    private static ScriptedWorkflow Happy() => new ScriptedWorkflow()
        .On(ProbeInputsActivity.Name, Array.Empty<string>)
        .On(AcquireSlotActivity.Name, () => new SlotGrant(true, 0, Start))
        .On(ReleaseSlotActivity.Name, () => true)
        .On(RecentModelTimesActivity.Name, Array.Empty<double>)
        .On(RecordModelTimeActivity.Name, () => true)
        .On(SubmitTaskActivity.Name, () => SubmitTaskActivity.Result.Created("task-1"))
        .OnSequence(PollTaskActivity.Name, () => Poll(DashScopeTaskStatus.Pending), () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Succeeded))
        .On(CopyOutputActivity.Name, () => new CopyOutputActivity.Result("http://127.0.0.1/vace-output/x/output.mp4", 1234, "abc123", 5))
        .On(WriteManifestActivity.Name, () => "http://127.0.0.1/vace-output/x/result.json")
        .On(NotifyCallbackActivity.Name, () => 200);

    /// <summary>A poll that could not reach the service.</summary>
    private static PollTaskActivity.Result Outage() => PollTaskActivity.Result.Unreachable("RequestTimeOut: no answer");

    /// <summary>
    /// A task that cannot be canceled: RUNNING until the job has asked to cancel it (refused), then RUNNING for
    /// <paramref name="runningAfterCancel"/> more polls, then <paramref name="end"/>.
    /// </summary>
    private sealed class BilledTask(int runningAfterCancel, Func<PollTaskActivity.Result> end)
    {
        private bool _cancelAsked;
        private int _pollsAfter;

        public bool Cancel()
        {
            _cancelAsked = true;
            return false;
        }

        public PollTaskActivity.Result Poll() => !_cancelAsked || _pollsAfter++ < runningAfterCancel ? VaceJobOrchestratorTests.Poll(DashScopeTaskStatus.Running) : end();
    }

    private static SubmitTaskActivity.Result Throttled(string code) => new(null, code, "slow down") { Retryable = true, RetryAfter = RetryAfter };

    private static PollTaskActivity.Result Poll(DashScopeTaskStatus status) => new(
        status,
        status == DashScopeTaskStatus.Succeeded,
        null,
        null,
        status == DashScopeTaskStatus.Succeeded ? new DashScopeUsage { VideoCount = 1, VideoDuration = 5, VideoRatio = "1280*720" } : null,
        "2026-11-21 12:00:00.000",
        null,
        null);
}
