using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Workflow;
using Microsoft.DurableTask;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// Submits a job's task, at most once. Write-ahead: the attempt is recorded (<c>submissions/{jobId}/{runId}.json</c> in
/// the state container — the run's own, so a job started again under a used id never adopts an earlier run's task —
/// created with If-None-Match and replaced only with its ETag) before the POST and the task id
/// right after, so a retried or replayed activity reuses the task instead of paying for a second one. A second
/// delivery of the same activity that finds an attempt still in flight (younger than the longest a call can take)
/// waits for its answer and adopts its task. An attempt whose outcome is unknown (a crash mid-POST, a timeout after
/// sending) is not re-sent: the job fails with AmbiguousSubmit — unless <see cref="WorkflowOptions.ResubmitInterrupted"/>
/// allows up to <see cref="MaxInterruptedAttempts"/> more attempts, counted in the record and returned with the task
/// for the job to report. Once the service has answered with a task, the task id is returned even if recording it
/// keeps failing: the engine keeps the activity's result.
/// </summary>
[DurableTask(Name)]
public sealed partial class SubmitTaskActivity(
    DashScopeClient client,
    BlobServiceClient blobs,
    AdmissionSlots slots,
    IOptions<WorkflowOptions> options,
    IOptions<DashScopeOptions> dashScope,
    OwnedMediaUrls ownedMedia,
    TimeProvider time,
    VaceTelemetry telemetry,
    ILogger<SubmitTaskActivity> logger)
    : TaskActivity<SubmitTaskActivity.Request, SubmitTaskActivity.Result>
{
    public const string Name = "SubmitTask";

    /// <summary>How many attempts whose outcome is unknown a job may follow with another, when allowed at all.</summary>
    public const int MaxInterruptedAttempts = 2;

    /// <summary>The message of a job that fails with <see cref="VaceJobErrorCodes.NotConfigured"/>.</summary>
    public const string NotConfiguredMessage = "no DashScope API key is configured";

    /// <summary>How often a duplicate delivery looks again at an attempt in flight.</summary>
    internal static readonly TimeSpan InFlightCheckInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<Result> RunAsync(TaskActivityContext context, Request input) => RunAsync(input, CancellationToken.None);

    public async Task<Result> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var span = telemetry.StartStep("vace.submit", input.JobId);
        span?.SetTag(VaceTelemetry.FunctionTag, JsonNode.Parse(input.RequestJson)?[Jobs.JobFields.Input]?[Jobs.JobFields.Function]?.GetValue<string>());
        var result = await SubmitOnceAsync(input, cancellationToken);
        span?.SetTag(VaceTelemetry.TaskIdTag, result.TaskId);
        span?.SetTag(VaceTelemetry.ErrorTypeTag, result.ErrorCode);
        return result;
    }

    private async Task<Result> SubmitOnceAsync(Request input, CancellationToken cancellationToken)
    {
        if (!dashScope.Value.HasApiKey)
        {
            // Nothing is sent, so nothing is recorded; the job fails at once (not retryable), its slot given back.
            return new Result(null, VaceJobErrorCodes.NotConfigured, NotConfiguredMessage);
        }

        var container = blobs.GetBlobContainerClient(options.Value.StateContainer);
        var record = container.GetBlobClient(RecordName(input));
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

        while (true)
        {
            var (existing, etag) = await ReadAsync(record, cancellationToken);
            if (existing is { State: SubmissionState.Attempting } && InFlight(existing))
            {
                // Another delivery of this activity is submitting right now: its answer is this one's too.
                await Task.Delay(InFlightCheckInterval, time, cancellationToken);
                continue;
            }

            if (existing?.TaskId is { } taskId)
            {
                return Result.Created(taskId) with { Interrupted = existing.Interrupted };
            }

            // An attempt whose outcome is unknown: it may have created a task nobody will ever hear of.
            var interrupted = existing?.Interrupted ?? 0;
            if (existing is not null && existing.State != SubmissionState.Refused)
            {
                if (!MayResubmit(interrupted))
                {
                    return Ambiguous("An earlier attempt to submit this job was interrupted before its answer was recorded");
                }

                interrupted++;
                Log.SubmittingAgain(logger, input.JobId, interrupted);
            }

            // Within the account's rate: a throttled submission would only come back later.
            await slots.WaitForSubmitTurnAsync(cancellationToken);

            // Write-ahead: from here on, a crash leaves an "attempting" record behind. Losing the race to write it
            // means another delivery is attempting: wait for its answer instead.
            if (await TryWriteAsync(record, new Submission(SubmissionState.Attempting, null, null, time.GetUtcNow(), interrupted), etag, cancellationToken) is { } mine)
            {
                return await SubmitAsync(input, record, mine, interrupted, cancellationToken);
            }
        }
    }

    private async Task<Result> SubmitAsync(Request input, BlobClient record, ETag attempt, int interrupted, CancellationToken cancellationToken)
    {
        try
        {
            // The job's own media go out with read SAS minted now, valid for the inbox's media URL lifetime from here.
            var body = await ownedMedia.SignRequestAsync(input.RequestJson, input.OwnedMedia ?? [], cancellationToken);
            var created = await client.SubmitAsync(JsonNode.Parse(body)!.AsObject(), cancellationToken);
            var taskId = created.Output!.TaskId!;
            await RecordAnswerAsync(input.JobId, record, new Submission(SubmissionState.Submitted, taskId, created.RequestId, null, interrupted), attempt, cancellationToken);
            return Result.Created(taskId) with { Interrupted = interrupted };
        }
        catch (DashScopeException ex) when (!ex.TaskMayHaveBeenCreated)
        {
            // Nothing was created: clear the way for another attempt, then let the orchestrator wait and retry, or fail.
            await RecordAnswerAsync(input.JobId, record, new Submission(SubmissionState.Refused, null, ex.RequestId, null, interrupted), attempt, cancellationToken);
            return new Result(null, ex.Code, ex.ServiceMessage) { Retryable = ex.IsRetryable, RetryAfter = ex.RetryAfter };
        }
        catch (DashScopeException ex)
        {
            // Allowed to submit again: the orchestrator waits as after a refusal, and the next attempt counts this one.
            await RecordAnswerAsync(input.JobId, record, new Submission(SubmissionState.Ambiguous, null, ex.RequestId, null, interrupted), attempt, cancellationToken);
            return Ambiguous(ex.ServiceMessage) with { Retryable = MayResubmit(interrupted) };
        }
    }

    /// <summary>The write-ahead record's name: the run's, or the job's for a job started before runs were recorded.</summary>
    internal static string RecordName(Request input) =>
        input.RunId is { } run ? $"submissions/{input.JobId}/{run}.json" : $"submissions/{input.JobId}.json";

    /// <summary>Whether a job may be submitted again after <paramref name="interrupted"/> attempts of unknown outcome.</summary>
    private bool MayResubmit(int interrupted) => options.Value.ResubmitInterrupted && interrupted < MaxInterruptedAttempts;

    /// <summary>
    /// An attempt younger than the longest a submission can take (plus a margin for storage) may still get its
    /// answer; an older one was interrupted. Records without a start time are from before this rule: interrupted.
    /// </summary>
    private bool InFlight(Submission attempt) =>
        attempt.StartedAt is { } started && time.GetUtcNow() - started < dashScope.Value.MaxCallDuration + TimeSpan.FromSeconds(30);

    /// <summary>
    /// Records the service's answer over this attempt's own record (If-Match its ETag), retrying passing storage
    /// trouble a few times. The answer itself is never lost to a storage failure: it is returned all the same, and a
    /// record left "attempting" makes a later delivery wait out the attempt and then report it as ambiguous.
    /// </summary>
    private async Task RecordAnswerAsync(string jobId, BlobClient record, Submission answer, ETag attempt, CancellationToken cancellationToken)
    {
        for (var tries = 1; ; tries++)
        {
            try
            {
                await record.UploadAsync(
                    BinaryData.FromObjectAsJson(answer, JsonOptions),
                    new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = attempt } },
                    cancellationToken);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status != 412 && tries < 3)
            {
                await Task.Delay(TimeSpan.FromSeconds(tries), time, cancellationToken);
            }
            catch (RequestFailedException ex)
            {
                Log.AnswerNotRecorded(logger, jobId, answer.State.ToString(), ex.Status, ex.ErrorCode);
                return;
            }
        }
    }

    private static Result Ambiguous(string why) => new(
        null,
        VaceJobErrorCodes.AmbiguousSubmit,
        $"{why}; the task may or may not exist at DashScope, and a second submission would be billed again, so none is made. Check the DashScope console, and submit again with a new job id if needed.");

    private static async Task<(Submission? Record, ETag? ETag)> ReadAsync(BlobClient record, CancellationToken cancellationToken)
    {
        try
        {
            var download = await record.DownloadContentAsync(cancellationToken);
            return (download.Value.Content.ToObjectFromJson<Submission>(JsonOptions), download.Value.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return (null, null);
        }
    }

    /// <summary>Writes a new attempt over what was read (If-Match its ETag, or If-None-Match when there was none): its ETag, or null when another writer came first.</summary>
    private static async Task<ETag?> TryWriteAsync(BlobClient record, Submission submission, ETag? etag, CancellationToken cancellationToken)
    {
        try
        {
            var written = await record.UploadAsync(
                BinaryData.FromObjectAsJson(submission, JsonOptions),
                new BlobUploadOptions { Conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
            return written.Value.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return null;
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <param name="JobId">The job, whose id keys the write-ahead record.</param>
    /// <param name="RequestJson">The DashScope request body.</param>
    /// <param name="OwnedMedia">Plain blob URLs of the job's own media in it, signed just before the POST.</param>
    public sealed record Request(string JobId, string RequestJson, IReadOnlyList<string>? OwnedMedia = null)
    {
        /// <summary>The job's run (<see cref="VaceJobRequest.RunId"/>), whose record this is; null for jobs from before runs.</summary>
        public string? RunId { get; init; }
    }

    /// <summary>The task id, or why there is none (the service's code, or AmbiguousSubmit).</summary>
    public sealed record Result(string? TaskId, string? ErrorCode, string? ErrorMessage)
    {
        /// <summary>Nothing was created and the same submission may succeed later (throttling, a passing 5xx).</summary>
        public bool Retryable { get; init; }

        /// <summary>How long the service asked to wait before the next attempt, if it said.</summary>
        public TimeSpan? RetryAfter { get; init; }

        /// <summary>Attempts before this task whose outcome is unknown: each may have created a task too.</summary>
        public int Interrupted { get; init; }

        public static Result Created(string taskId) => new(taskId, null, null);
    }

    private enum SubmissionState
    {
        Attempting,
        Submitted,
        Refused,
        Ambiguous,
    }

    /// <summary>
    /// The write-ahead record: its state, the task id once known, the service's request id, when an attempt began, and
    /// how many attempts before it were interrupted.
    /// </summary>
    private sealed record Submission(SubmissionState State, string? TaskId, string? RequestId, DateTimeOffset? StartedAt, int Interrupted = 0);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1160, Level = LogLevel.Warning, Message = "Job {JobId}: the submission's answer ({State}) could not be recorded (storage {Status} {ErrorCode}); a later delivery of this step will report the attempt as ambiguous")]
        public static partial void AnswerNotRecorded(ILogger logger, string jobId, string state, int status, string? errorCode);

        [LoggerMessage(EventId = 1161, Level = LogLevel.Warning, Message = "Job {JobId}: an earlier submission was interrupted before its answer was recorded; submitting again (Vace:ResubmitInterrupted, interrupted attempts {Interrupted})")]
        public static partial void SubmittingAgain(ILogger logger, string jobId, int interrupted);
    }
}
