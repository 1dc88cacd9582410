using System.Net;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Workflow;

/// <summary>Every branch of the orchestrator, with a scripted context.</summary>
public class VaceJobOrchestratorTests
{
    private static readonly DateTime Start = new(2026, 11, 21, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Run_HappyPath_ProbesWaitsSubmitsPollsCopiesWritesAndNotifies()
    {
        var job = Request("video_edit", callback: "https://example.com/hook");
        var context = Happy(job)
            .OnSequence(AcquireSlotActivity.Name, () => new SlotGrant(false, 1, null), () => new SlotGrant(false, 0, null), () => new SlotGrant(true, 0, Start));

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(("task-1", "SUCCEEDED", 1234L, "abc123"), (result.TaskId, result.TaskStatus, result.Size, result.Sha256));
        Assert.Equal($"{job.JobId}/output.mp4", result.Blob);
        Assert.Equal($"{job.JobId}/result.json", result.ManifestBlob);
        Assert.Equal(5, result.Usage!.VideoDuration);
        Assert.Equal(
            [ProbeInputsActivity.Name, AcquireSlotActivity.Name, AcquireSlotActivity.Name, AcquireSlotActivity.Name, SubmitTaskActivity.Name,
             PollTaskActivity.Name, PollTaskActivity.Name, PollTaskActivity.Name, ReleaseSlotActivity.Name, CopyOutputActivity.Name,
             WriteManifestActivity.Name, NotifyCallbackActivity.Name],
            context.Calls.Select(c => c.Name));
        Assert.Contains(context.Statuses, s => s is { Phase: VaceJobPhase.WaitingForSlot, QueuePosition: 1 });
        Assert.Contains(context.Statuses, s => s is { Phase: VaceJobPhase.Generating, TaskId: "task-1", TaskStatus: "RUNNING", PollCount: 2 });
        Assert.Equal(VaceJobPhase.Succeeded, context.Statuses[^1].Phase);
        var manifest = context.Calls.Single(c => c.Name == WriteManifestActivity.Name).Input.GetProperty("manifest");
        Assert.True(manifest.GetProperty("result").GetProperty("succeeded").GetBoolean());
        Assert.Equal("video_edit", manifest.GetProperty("request").GetProperty("input").GetProperty("function").GetString());
        Assert.True(manifest.GetProperty("phases").TryGetProperty("Generating", out _));
    }

    [Fact]
    public async Task Run_PollTimers_StartShortThenSettleOnTheInterval()
    {
        var job = Request("video_edit");
        var context = Happy(job).OnSequence(PollTaskActivity.Name,
            () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Running),
            () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Succeeded));

        await new VaceJobOrchestrator().RunAsync(context, job);

        var gaps = context.Timers.Zip(context.Timers.Skip(1), (a, b) => (b - a).TotalSeconds).Prepend((context.Timers[0] - Start).TotalSeconds);
        Assert.Equal([5, 10, 15, 15, 15], gaps);
    }

    [Fact]
    public async Task Run_ProbeFindsProblems_FailsWithInvalidInputBeforePaying()
    {
        var job = Request("video_edit");
        var context = Happy(job).On(ProbeInputsActivity.Name, _ => new[] { "input.video_url: is 7.00 s long; videos may be at most 5 s." });

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.Equal((false, VaceJobErrorCodes.InvalidInput), (result.Succeeded, result.ErrorCode));
        Assert.Contains("7.00 s", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, context.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(0, context.CallCount(AcquireSlotActivity.Name));
        Assert.Equal(1, context.CallCount(WriteManifestActivity.Name));
    }

    [Fact]
    public async Task Run_ProbingDisabled_SkipsTheProbe()
    {
        var job = Request("video_edit", probe: false);
        var context = Happy(job);

        Assert.True((await new VaceJobOrchestrator().RunAsync(context, job)).Succeeded);
        Assert.Equal(0, context.CallCount(ProbeInputsActivity.Name));
    }

    [Fact]
    public async Task Run_TaskFailed_ReportsTheServiceCodeAndReleasesTheSlot()
    {
        var job = Request("image_reference");
        var context = Happy(job).On(PollTaskActivity.Name, _ => Poll(DashScopeTaskStatus.Failed) with { Code = "DataInspectionFailed", Message = "inappropriate" });

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.Equal(("DataInspectionFailed", "inappropriate", "FAILED"), (result.ErrorCode, result.ErrorMessage, result.TaskStatus));
        Assert.Equal(1, context.CallCount(ReleaseSlotActivity.Name));
        Assert.Equal(0, context.CallCount(CopyOutputActivity.Name));
        Assert.Equal(1, context.CallCount(WriteManifestActivity.Name));
    }

    [Fact]
    public async Task Run_TaskStillRunningAtTheDeadline_TimesOutAndTriesToCancel()
    {
        var job = Request("video_edit") with { MaxWait = TimeSpan.FromMinutes(10) };
        var context = Happy(job).On(PollTaskActivity.Name, _ => Poll(DashScopeTaskStatus.Running)).On(CancelTaskActivity.Name, _ => false);

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.Equal(VaceJobErrorCodes.Timeout, result.ErrorCode);
        Assert.Equal(1, context.CallCount(CancelTaskActivity.Name));
        Assert.Equal(1, context.CallCount(ReleaseSlotActivity.Name));
        Assert.True(context.CurrentUtcDateTime <= Start + job.MaxWait + TimeSpan.FromMinutes(1));
        Assert.All(context.Timers, t => Assert.True(t <= Start + job.MaxWait));
    }

    [Fact]
    public async Task Run_WaitingForASlot_AsksLessOftenUpToFourIntervals()
    {
        var job = Request("video_edit");
        var context = Happy(job).OnSequence(AcquireSlotActivity.Name,
            () => new SlotGrant(false, 0, null), () => new SlotGrant(false, 0, null), () => new SlotGrant(false, 0, null),
            () => new SlotGrant(false, 0, null), () => new SlotGrant(true, 0, Start));

        await new VaceJobOrchestrator().RunAsync(context, job);

        var slotTimers = context.Timers.Take(4).Prepend(Start).ToArray();
        Assert.Equal([5, 10, 20, 20], slotTimers.Zip(slotTimers.Skip(1), (a, b) => (b - a).TotalSeconds));
    }

    [Fact]
    public async Task Run_NoSlotBeforeTheDeadline_TimesOutWithoutSubmitting()
    {
        var job = Request("video_edit") with { MaxWait = TimeSpan.FromMinutes(1) };
        var context = Happy(job).On(AcquireSlotActivity.Name, _ => new SlotGrant(false, 3, null));

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.Equal(VaceJobErrorCodes.Timeout, result.ErrorCode);
        Assert.Equal(0, context.CallCount(SubmitTaskActivity.Name));
        Assert.Contains(context.Statuses, s => s.QueuePosition == 3);
    }

    [Fact]
    public async Task Run_SubmitThrottledTwice_RetriesOnTimersAndSucceeds()
    {
        var job = Request("video_edit");
        var throttled = new DashScopeException("Throttling.RateQuota", "slow down", HttpStatusCode.TooManyRequests, isRetryable: true);
        var context = Happy(job).OnSequence(SubmitTaskActivity.Name,
            () => throw throttled, () => throw throttled, () => new SubmitTaskActivity.Result("task-1", null, null));

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.True(result.Succeeded);
        Assert.Equal(3, context.CallCount(SubmitTaskActivity.Name));
    }

    [Fact]
    public async Task Run_SubmitThrottledForever_FailsWithTheServiceCode()
    {
        var job = Request("video_edit");
        var context = Happy(job).On(SubmitTaskActivity.Name,
            _ => throw new DashScopeException("Throttling", "busy", HttpStatusCode.TooManyRequests, isRetryable: true));

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.Equal("Throttling", result.ErrorCode);
        Assert.Equal(VaceJobOrchestrator.SubmitRetry.MaxNumberOfAttempts, context.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(1, context.CallCount(ReleaseSlotActivity.Name));
    }

    [Theory]
    [InlineData("InvalidParameter")]
    [InlineData(VaceJobErrorCodes.AmbiguousSubmit)]
    public async Task Run_SubmitRefusedOrAmbiguous_FailsWithThatCodeOnce(string code)
    {
        var job = Request("video_edit");
        var context = Happy(job).On(SubmitTaskActivity.Name, _ => new SubmitTaskActivity.Result(null, code, "no"));

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.Equal(code, result.ErrorCode);
        Assert.Equal(1, context.CallCount(SubmitTaskActivity.Name));
        Assert.Equal(0, context.CallCount(PollTaskActivity.Name));
        Assert.Equal(1, context.CallCount(ReleaseSlotActivity.Name));
    }

    [Fact]
    public async Task Run_ResultUrlExpired_FailsWithOutputExpiredWithoutRetrying()
    {
        var job = Request("video_edit");
        var context = Happy(job).On(CopyOutputActivity.Name, _ => throw new OutputExpiredException("HTTP 403"));

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.Equal(VaceJobErrorCodes.OutputExpired, result.ErrorCode);
        Assert.Equal(1, context.CallCount(CopyOutputActivity.Name));
    }

    [Fact]
    public async Task Run_CopyFailsForAWhile_IsRetried()
    {
        var job = Request("video_edit");
        var context = Happy(job).OnSequence(CopyOutputActivity.Name,
            () => throw new IOException("connection reset"), () => new CopyOutputActivity.Result("http://blob", 1234, "abc123", 5));

        Assert.True((await new VaceJobOrchestrator().RunAsync(context, job)).Succeeded);
        Assert.Equal(2, context.CallCount(CopyOutputActivity.Name));
    }

    [Theory]
    [InlineData(DashScopeTaskStatus.Canceled, VaceJobErrorCodes.Canceled)]
    [InlineData(DashScopeTaskStatus.Unknown, VaceJobErrorCodes.TaskUnknown)]
    public async Task Run_TaskCanceledOrUnknown_FailsWithItsCode(DashScopeTaskStatus status, string code)
    {
        var job = Request("video_outpainting");
        var context = Happy(job).On(PollTaskActivity.Name, _ => Poll(status));

        Assert.Equal(code, (await new VaceJobOrchestrator().RunAsync(context, job)).ErrorCode);
    }

    [Fact]
    public async Task Run_CallbackUnreachable_StillSucceedsWithAWarning()
    {
        var job = Request("video_extension", callback: "https://example.com/hook");
        var context = Happy(job).On(NotifyCallbackActivity.Name, _ => throw new HttpRequestException("refused"));

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.True(result.Succeeded);
        Assert.Contains(result.Warnings, w => w.Code == "callback_failed");
        Assert.Equal(VaceJobOrchestrator.TransientRetry.MaxNumberOfAttempts, context.CallCount(NotifyCallbackActivity.Name));
    }

    [Fact]
    public async Task Run_StorageTroubleForGood_FailsWithStepFailedNotAnException()
    {
        var job = Request("video_edit");
        var context = Happy(job).On(AcquireSlotActivity.Name, _ => throw new IOException("storage unreachable"));

        var result = await new VaceJobOrchestrator().RunAsync(context, job);

        Assert.Equal(VaceJobErrorCodes.StepFailed, result.ErrorCode);
        Assert.Contains("AcquireSlot kept failing: storage unreachable", result.ErrorMessage, StringComparison.Ordinal);
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

    /// <summary>A context where every step succeeds: slot at once, task RUNNING twice then SUCCEEDED.</summary>
    private static FakeOrchestrationContext Happy(VaceJobRequest job) =>
        new FakeOrchestrationContext(job.JobId, Start)
            .On(ProbeInputsActivity.Name, _ => Array.Empty<string>())
            .On(AcquireSlotActivity.Name, _ => new SlotGrant(true, 0, Start))
            .On(ReleaseSlotActivity.Name, _ => true)
            .On(SubmitTaskActivity.Name, _ => new SubmitTaskActivity.Result("task-1", null, null))
            .OnSequence(PollTaskActivity.Name, () => Poll(DashScopeTaskStatus.Pending), () => Poll(DashScopeTaskStatus.Running), () => Poll(DashScopeTaskStatus.Succeeded))
            .On(CopyOutputActivity.Name, _ => new CopyOutputActivity.Result("http://127.0.0.1/vace-output/x/output.mp4", 1234, "abc123", 5))
            .On(WriteManifestActivity.Name, _ => "http://127.0.0.1/vace-output/x/result.json")
            .On(NotifyCallbackActivity.Name, _ => 200);

    private static PollTaskActivity.Result Poll(DashScopeTaskStatus status) => new(
        status,
        status == DashScopeTaskStatus.Succeeded ? "http://127.0.0.1/videos/task-1.mp4?Signature=x" : null,
        null,
        null,
        status == DashScopeTaskStatus.Succeeded ? new DashScopeUsage { VideoCount = 1, VideoDuration = 5, VideoRatio = "1280*720" } : null,
        "2026-11-21 12:00:00.000",
        null,
        null);
}
