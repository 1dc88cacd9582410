using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Workflow;

/// <summary>
/// Every record the engine stores — orchestration input, output and custom status, activity inputs and outputs —
/// comes back whole through <see cref="WorkflowJson.DataConverter"/>. Records that hold lists are compared field by
/// field, since a record's equality compares its lists by reference.
/// </summary>
public class WorkflowJsonTests
{
    private static readonly DateTime At = new(2026, 11, 21, 12, 0, 0, DateTimeKind.Utc);

    private static readonly JobIssue Warning = JobIssue.Warning("unknown_field", "parameters.fps", "The field is not documented; it is sent as is.");

    private static readonly DashScopeUsage Usage = new() { VideoCount = 1, VideoDuration = 5, VideoRatio = "1280*720" };

    [Fact]
    public void Request_RoundTrips()
    {
        var document = Samples.Load("video_extension");
        document["callback_url"] = "https://example.com/hook";
        var request = VaceJobRequest.Create(JobValidator.Validate(document).Job!, new WorkflowOptions()) with
        {
            Warnings = [Warning],
            PollInterval = TimeSpan.FromSeconds(7),
            InitialPollInterval = TimeSpan.FromMilliseconds(1500),
            MaxWait = TimeSpan.FromMinutes(42),
            SlotRetryInterval = TimeSpan.FromSeconds(3),
            OwnedMedia = ["http://127.0.0.1:10000/devstoreaccount1/vace-inbox/f/clip.mp4"],
        };

        var copy = RoundTrip(request);

        Assert.Equal(request with { Media = copy.Media, Warnings = copy.Warnings, OwnedMedia = copy.OwnedMedia }, copy);
        Assert.Equal(request.OwnedMedia, copy.OwnedMedia);
        Assert.Equal(request.Media, copy.Media);
        Assert.Equal(MediaKind.Clip, Assert.Single(copy.Media).Kind);
        Assert.Equal(request.Warnings, copy.Warnings);
    }

    [Fact]
    public void ContinuedRequest_RoundTripsWithWhereItPicksUp()
    {
        var request = VaceJobRequest.Create(JobValidator.Validate(Samples.Load("video_edit")).Job!, new WorkflowOptions()) with
        {
            PollsPerExecution = 7,
            Resume = new VaceJobResume(
                "task-9",
                At.AddHours(1),
                TimeSpan.FromSeconds(15),
                new VaceJobStatus { Phase = VaceJobPhase.Generating, TaskId = "task-9", TaskStatus = "RUNNING", PollCount = 7, LastPolledAt = At },
                new Dictionary<string, PhaseTiming> { [nameof(VaceJobPhase.Submitting)] = new(At, At.AddSeconds(1)) },
                At.AddSeconds(1),
                Result()),
        };

        var copy = RoundTrip(request);

        Assert.Equal(7, copy.PollsPerExecution);
        var resume = copy.Resume!;
        Assert.Equal((request.Resume.TaskId, request.Resume.Deadline, request.Resume.NextPollDelay, request.Resume.PhaseStarted),
            (resume.TaskId, resume.Deadline, resume.NextPollDelay, resume.PhaseStarted));
        Assert.Equal(request.Resume.Status with { Warnings = resume.Status.Warnings, Phases = resume.Status.Phases }, resume.Status);
        Assert.Equal(request.Resume.Phases, resume.Phases);
        Assert.Equal(request.Resume.Reported! with { Warnings = resume.Reported!.Warnings }, resume.Reported);
    }

    [Fact]
    public void MediaReference_RoundTrips()
    {
        var media = new MediaReference("input.ref_images_url[0]", "https://example.com/a.png", MediaKind.Image);

        Assert.Equal(media, RoundTrip(media));
    }

    [Fact]
    public void Result_RoundTrips()
    {
        var result = Result();

        var copy = RoundTrip(result);

        Assert.Equal(result with { Warnings = copy.Warnings }, copy);
        Assert.Equal(result.Warnings, copy.Warnings);
    }

    [Fact]
    public void Status_RoundTrips_WithThePhaseAsItsName()
    {
        var status = new VaceJobStatus
        {
            Phase = VaceJobPhase.Generating,
            PhaseStartedAt = At.AddSeconds(2),
            Phases = new Dictionary<string, PhaseTiming> { [nameof(VaceJobPhase.Submitting)] = new(At.AddSeconds(1), At.AddSeconds(2)) },
            TaskId = "task-1",
            TaskStatus = "RUNNING",
            PollCount = 3,
            LastPolledAt = At.AddSeconds(30),
            SlotAcquiredAt = At,
            QueuePosition = 2,
            Warnings = ["parameters.fps: not documented"],
            Outage = "RequestTimeOut: no answer",
            OutageSince = At.AddSeconds(20),
            Outcome = Result() with { Warnings = [] },
        };

        var copy = RoundTrip(status);

        Assert.Equal(status.Outcome with { Warnings = copy.Outcome!.Warnings }, copy.Outcome);
        Assert.Equal(status with { Warnings = copy.Warnings, Outcome = copy.Outcome, Phases = copy.Phases }, copy);
        Assert.Equal(status.Warnings, copy.Warnings);
        Assert.Equal(status.Phases, copy.Phases);
        Assert.Contains("\"phase\":\"Generating\"", WorkflowJson.DataConverter.Serialize(status), StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_AndTheWriteManifestRequest_RoundTrip()
    {
        var manifest = new VaceJobManifest
        {
            JobId = "job-1",
            Request = JsonNode.Parse("""{"model":"wan2.1-vace-plus","input":{"function":"video_edit","prompt":"a cat"},"parameters":{"seed":7}}""")!.AsObject(),
            Result = Result(),
            Warnings = [Warning],
            Phases = new Dictionary<string, PhaseTiming>
            {
                [nameof(VaceJobPhase.Probing)] = new(At, At.AddSeconds(1)),
                [nameof(VaceJobPhase.Generating)] = new(At.AddSeconds(2), At.AddMinutes(3)),
            },
        };
        var request = new WriteManifestActivity.Request("vace-output", "job-1/result.json", manifest);

        var copy = RoundTrip(request);

        Assert.Equal((request.Container, request.Blob), (copy.Container, copy.Blob));
        Assert.Equal(manifest.JobId, copy.Manifest.JobId);
        Assert.True(JsonNode.DeepEquals(manifest.Request, copy.Manifest.Request), copy.Manifest.Request?.ToJsonString());
        Assert.Equal(manifest.Result with { Warnings = copy.Manifest.Result.Warnings }, copy.Manifest.Result);
        Assert.Equal(manifest.Result.Warnings, copy.Manifest.Result.Warnings);
        Assert.Equal(manifest.Warnings, copy.Manifest.Warnings);
        Assert.Equal(manifest.Phases, copy.Manifest.Phases);
        Assert.Equal(178, copy.Manifest.Phases[nameof(VaceJobPhase.Generating)].Seconds);
    }

    [Fact]
    public void SubmitRecords_RoundTrip_WithRetryableAndRetryAfter()
    {
        var request = new SubmitTaskActivity.Request("job-1", """{"model":"wan2.1-vace-plus"}""");
        var created = SubmitTaskActivity.Result.Created("task-1");
        var throttled = new SubmitTaskActivity.Result(null, "Throttling.RateQuota", "Requests rate limit exceeded") { Retryable = true, RetryAfter = TimeSpan.FromSeconds(12) };

        Assert.Equal(request, RoundTrip(request));
        Assert.Equal(created, RoundTrip(created));
        Assert.Equal(throttled, RoundTrip(throttled));
        Assert.Equal((true, TimeSpan.FromSeconds(12)), (RoundTrip(throttled).Retryable, RoundTrip(throttled).RetryAfter));
    }

    [Fact]
    public void PollResult_RoundTrips()
    {
        var succeeded = new PollTaskActivity.Result(
            DashScopeTaskStatus.Succeeded, true, null, null, Usage, "2026-11-21 12:00:00.000", "2026-11-21 12:00:01.000", "2026-11-21 12:03:00.000");
        var failed = new PollTaskActivity.Result(DashScopeTaskStatus.Failed, false, "DataInspectionFailed", "inappropriate", null, null, null, null);

        Assert.Equal(succeeded, RoundTrip(succeeded));
        Assert.Equal(failed, RoundTrip(failed));
        var outage = PollTaskActivity.Result.Unreachable("ServiceUnavailable: try later");
        Assert.Equal(outage, RoundTrip(outage));
        Assert.Equal("ServiceUnavailable: try later", RoundTrip(outage).Outage);
    }

    [Fact]
    public void CopyRecords_RoundTrip_WithTheErrorCodeAndMessage()
    {
        var request = new CopyOutputActivity.Request("job-1", "task-1", "vace-output", "job-1/output.mp4");
        var copied = new CopyOutputActivity.Result("http://127.0.0.1/vace-output/job-1/output.mp4", 1234, "abc123", 5.04);
        var expired = CopyOutputActivity.Result.Failed(VaceJobErrorCodes.OutputExpired, "The result's URL answered HTTP 403: it has expired or no longer exists.");

        Assert.Equal(request, RoundTrip(request));
        Assert.Equal(copied, RoundTrip(copied));
        Assert.Equal(expired, RoundTrip(expired));
        Assert.Equal((expired.ErrorCode, expired.ErrorMessage), (RoundTrip(expired).ErrorCode, RoundTrip(expired).ErrorMessage));
    }

    [Fact]
    public void SlotAndCallbackRecords_RoundTrip()
    {
        var acquire = new AcquireSlotActivity.Request("job-1", TimeSpan.FromMinutes(75), InLine: true);
        var granted = new SlotGrant(true, 0, At);
        var waiting = new SlotGrant(false, 3, null);
        var notify = new NotifyCallbackActivity.Request("https://example.com/hook", "job-1", WorkflowJson.Serialize(Result()));

        Assert.Equal(acquire, RoundTrip(acquire));
        Assert.Equal(granted, RoundTrip(granted));
        Assert.Equal(waiting, RoundTrip(waiting));
        Assert.Equal(notify, RoundTrip(notify));
    }

    private static T RoundTrip<T>(T value) => WorkflowJson.DataConverter.Deserialize<T>(WorkflowJson.DataConverter.Serialize(value))!;

    private static VaceJobResult Result() => new()
    {
        JobId = "job-1",
        Succeeded = true,
        TaskId = "task-1",
        TaskStatus = "SUCCEEDED",
        Container = "vace-output",
        Blob = "job-1/output.mp4",
        BlobUrl = "http://127.0.0.1/vace-output/job-1/output.mp4",
        Size = 1234,
        Sha256 = "abc123",
        DurationSeconds = 5.04,
        Usage = Usage,
        SubmitTime = "2026-11-21 12:00:00.000",
        ScheduledTime = "2026-11-21 12:00:01.000",
        EndTime = "2026-11-21 12:03:00.000",
        ManifestBlob = "job-1/result.json",
        Warnings = [Warning],
    };
}
