using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Workflow;
using Microsoft.DurableTask;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// Submits a job's task, at most once. Write-ahead: the attempt is recorded (<c>submissions/{jobId}.json</c> in
/// the state container) before the POST and the task id right after, so a retried or replayed activity reuses
/// the task instead of paying for a second one. An attempt whose outcome is unknown (a crash mid-POST, a timeout
/// after sending) is never re-sent: the job fails with AmbiguousSubmit. Throttling and other errors that
/// clearly created nothing are thrown, for the orchestrator's retry policy.
/// </summary>
[DurableTask(Name)]
public sealed class SubmitTaskActivity(DashScopeClient client, BlobServiceClient blobs, AdmissionSlots slots, IOptions<WorkflowOptions> options)
    : TaskActivity<SubmitTaskActivity.Request, SubmitTaskActivity.Result>
{
    public const string Name = "SubmitTask";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<Result> RunAsync(TaskActivityContext context, Request input) => RunAsync(input, CancellationToken.None);

    public async Task<Result> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var record = blobs.GetBlobContainerClient(options.Value.StateContainer).GetBlobClient($"submissions/{input.JobId}.json");
        await blobs.GetBlobContainerClient(options.Value.StateContainer).CreateIfNotExistsAsync(cancellationToken: cancellationToken);

        var (existing, etag) = await ReadAsync(record, cancellationToken);
        if (existing?.TaskId is { } taskId)
        {
            return Result.Created(taskId);
        }

        if (existing is not null && existing.State != SubmissionState.Refused)
        {
            return Ambiguous("An earlier attempt to submit this job was interrupted before its answer was recorded");
        }

        // Within the account's rate: a throttled submission would only come back later.
        await slots.WaitForSubmitTurnAsync(cancellationToken);

        // Write-ahead: from here on, a crash leaves an "attempting" record behind.
        var attempt = new Submission(SubmissionState.Attempting, null, null);
        if (!await TryWriteAsync(record, attempt, etag, cancellationToken))
        {
            return Ambiguous("Another attempt to submit this job is in progress");
        }

        try
        {
            var created = await client.SubmitAsync(JsonNode.Parse(input.RequestJson)!.AsObject(), cancellationToken);
            await record.UploadAsync(BinaryData.FromObjectAsJson(new Submission(SubmissionState.Submitted, created.Output!.TaskId, created.RequestId), JsonOptions), overwrite: true, cancellationToken);
            return Result.Created(created.Output.TaskId!);
        }
        catch (DashScopeException ex) when (!ex.TaskMayHaveBeenCreated)
        {
            // Nothing was created: clear the way for another attempt, then let the orchestrator wait and retry, or fail.
            await record.UploadAsync(BinaryData.FromObjectAsJson(new Submission(SubmissionState.Refused, null, ex.RequestId), JsonOptions), overwrite: true, cancellationToken);
            return new Result(null, ex.Code, ex.ServiceMessage) { Retryable = ex.IsRetryable, RetryAfter = ex.RetryAfter };
        }
        catch (DashScopeException ex)
        {
            await record.UploadAsync(BinaryData.FromObjectAsJson(new Submission(SubmissionState.Ambiguous, null, ex.RequestId), JsonOptions), overwrite: true, cancellationToken);
            return Ambiguous(ex.ServiceMessage);
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

    private static async Task<bool> TryWriteAsync(BlobClient record, Submission submission, ETag? etag, CancellationToken cancellationToken)
    {
        try
        {
            await record.UploadAsync(
                BinaryData.FromObjectAsJson(submission, JsonOptions),
                new BlobUploadOptions { Conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <param name="JobId">The job, whose id keys the write-ahead record.</param>
    /// <param name="RequestJson">The DashScope request body.</param>
    public sealed record Request(string JobId, string RequestJson);

    /// <summary>The task id, or why there is none (the service's code, or AmbiguousSubmit).</summary>
    public sealed record Result(string? TaskId, string? ErrorCode, string? ErrorMessage)
    {
        /// <summary>Nothing was created and the same submission may succeed later (throttling, a passing 5xx).</summary>
        public bool Retryable { get; init; }

        /// <summary>How long the service asked to wait before the next attempt, if it said.</summary>
        public TimeSpan? RetryAfter { get; init; }

        public static Result Created(string taskId) => new(taskId, null, null);
    }

    private enum SubmissionState
    {
        Attempting,
        Submitted,
        Refused,
        Ambiguous,
    }

    private sealed record Submission(SubmissionState State, string? TaskId, string? RequestId);
}
