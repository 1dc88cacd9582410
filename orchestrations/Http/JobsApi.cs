using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>
/// The HTTP API's handlers, shared by both hosts (the embedded host maps them as minimal-API routes, the Functions
/// app calls them from its HTTP triggers): <c>/api/jobs</c> starts, reads, lists and cancels jobs; <c>/api/v1/…</c>
/// speaks DashScope's own task API (request and response shapes, error bodies, the async-header rule), so an
/// existing DashScope client works by changing only its base URL — and gets back a URL of the owned, verified blob
/// instead of an expiring one. Authentication is the host's: API keys and rate limits in the embedded host, function keys in Azure.
/// </summary>
public static class JobsApi
{
    /// <summary>
    /// The request header that makes the DashScope create call idempotent (the IETF httpapi draft's name; the service
    /// itself has none): the same key with the same body is one job, however often it is sent.
    /// </summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The longest idempotency key accepted.</summary>
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>This face's error code (HTTP 422) for an idempotency key sent again with a different body.</summary>
    public const string IdempotencyKeyReused = "IdempotencyKeyReused";

    /// <summary>
    /// How long a listing may wait on storage. A stalled account would otherwise hold the request until the storage
    /// SDK's own timeouts (100 s a try) and then fail it; past this it answers 503 with <see cref="RetryAfterSeconds"/>.
    /// </summary>
    public static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The Retry-After of a 503 for storage that did not answer in time.</summary>
    public const int RetryAfterSeconds = 10;

    private static readonly JsonSerializerOptions DashScopeJson = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Maps the handlers as minimal-API routes (the embedded host), each admitted only when
    /// <paramref name="isAuthorized"/> says so; the two that create jobs are held to the rate-limiting policy
    /// <paramref name="createPolicy"/> (the host registers it, and its rate limiter middleware applies it).
    /// </summary>
    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app, Func<HttpContext, bool> isAuthorized, string createPolicy)
    {
        ArgumentException.ThrowIfNullOrEmpty(createPolicy);
        ArgumentNullException.ThrowIfNull(isAuthorized);
        var jobs = app.MapGroup("/api/jobs").WithTags("Jobs");
        jobs.AddEndpointFilter(async (context, next) => isAuthorized(context.HttpContext)
            ? RefuseUnlessJson(context.HttpContext.Request, dashScope: false) ?? await next(context)
            : KeyRequired());
        jobs.MapPost("", SubmitAsync).RequireRateLimiting(createPolicy).WithSummary("Start a job").WithDescription(
            "Starts a job from a job document: the DashScope request body plus optional id, output and callback_url. "
            + "202 with Location; 400 with every error; 415 for a body that is not JSON.");
        jobs.MapGet("/{id}", GetAsync).WithSummary("Get a job's status").WithDescription(
            "202 while it runs, 200 once it ended (runtimeStatus Rejected, with every error, for a document rejected at intake), "
            + "404 when unknown; once it succeeded, outputUrl is a read SAS URL of the owned video, minted by the query.");
        jobs.MapGet("/{id}/manifest", GetManifestAsync).WithSummary("Get a job's manifest").WithDescription(
            "The job's result.json (request, result, warnings, phase timings) or a rejected document's record; "
            + "404 until it is written.");
        jobs.MapGet("", ListAsync).WithSummary("List jobs").WithDescription(
            "A page of jobs, newest first, each with its outcome: one page of the engine's query (top, default 100), "
            + "optionally by outcome (status: Waiting, Running, Succeeded, Failed, Canceled, TimedOut), function "
            + "(function: video_edit, …) and runtime status (runtimeStatus: Pending, Running, Completed, Failed, Terminated); "
            + "filtered by outcome or function a page may hold fewer jobs, even none; the X-Continuation-Token response "
            + "header, sent back as continuationToken, gives the next page; 503 with Retry-After when storage does not "
            + "answer within 10 s.");
        jobs.MapPost("/{id}/cancel", CancelAsync).WithSummary("Cancel a job").WithDescription(
            "Asks a job to stop: it ends as Canceled at its next wait (its DashScope task is canceled while still PENDING); "
            + "202 when asked, 404 unknown, 409 once ended.");

        var dashScope = app.MapGroup("/api/v1").WithTags("DashScope-compatible");
        dashScope.AddEndpointFilter(async (context, next) => isAuthorized(context.HttpContext)
            ? RefuseUnlessJson(context.HttpContext.Request, dashScope: true) ?? await next(context)
            : InvalidApiKey());
        dashScope.MapPost("/services/aigc/video-generation/video-synthesis", CreateTaskAsync).RequireRateLimiting(createPolicy)
            .WithSummary("Create a task (DashScope)").WithDescription(
                "DashScope's create call: a new job per request, its id the task id; with an Idempotency-Key header, "
                + "one job per key and body.");
        dashScope.MapGet("/tasks/{taskId}", GetTaskAsync).WithSummary("Query a task (DashScope)")
            .WithDescription("DashScope's query call; video_url is a read SAS URL of the owned blob.");
        dashScope.MapPost("/tasks/{taskId}/cancel", CancelTaskAsync).WithSummary("Cancel a task (DashScope)")
            .WithDescription("DashScope's cancel call: only a PENDING task, else UnsupportedOperation.");
        return app;
    }

    public static async Task<IResult> SubmitAsync(HttpRequest request, JobIntake intake, CancellationToken cancellationToken)
    {
        if (await ReadBodyAsync(request, cancellationToken) is not { } body)
        {
            return DocumentTooLarge();
        }

        var outcome = await intake.SubmitAsync(body, IntakeSource.Http, cancellationToken);
        if (outcome.Status == IntakeStatus.Rejected)
        {
            return Results.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "The job document is invalid.",
                detail: string.Join(" ", outcome.Errors.Select(e => $"{e.Path}: {e.Message}")),
                extensions: new Dictionary<string, object?> { ["errors"] = outcome.Errors.ToArray(), ["warnings"] = outcome.Warnings.ToArray() });
        }

        var location = $"/api/jobs/{outcome.JobId}";
        return Results.Accepted(location, new
        {
            id = outcome.JobId,
            created = outcome.Status == IntakeStatus.Started,
            statusQueryGetUri = location,
            cancelPostUri = location + "/cancel",
            warnings = outcome.Warnings.ToArray(),
        });
    }

    /// <summary>Get a job's status.</summary>
    /// <remarks>
    /// Once the job succeeded, <see cref="JobStatusView.OutputUrl"/> is a read SAS URL of its video,
    /// valid for <see cref="HttpApiOptions.OutputUrlLifetime"/>, minted by this query as the DashScope face's video_url is.
    /// </remarks>
    public static async Task<IResult> GetAsync(
        string id, DurableTaskClient client, BlobServiceClient blobs, BlobReadUrls urls, IOptions<WorkflowOptions> workflow, IOptions<HttpApiOptions> options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (await ReadAsync(client, id, cancellationToken) is not { } instance)
        {
            // A document rejected at intake never became an instance: its rejection record is its status.
            return JobId.IsValid(id) && await RejectionRecords.ReadAsync(blobs.GetBlobContainerClient(workflow.Value.OutputContainer), id, cancellationToken) is { } rejection
                ? Results.Ok(JobStatusView.Rejected(rejection))
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No job '{Quote(id)}'.");
        }

        // A job has ended once it has a result: also while it follows a billed task it could not cancel.
        var view = JobStatusView.From(instance);
        if (view.Result is { Succeeded: true, Container: { } container, Blob: { } blob })
        {
            var url = await urls.ReadUrlAsync(blobs.GetBlobContainerClient(container).GetBlobClient(blob), time.GetUtcNow() + options.Value.OutputUrlLifetime, cancellationToken);
            view = view with { OutputUrl = url.ToString() };
        }

        return view.Result is not null || instance.IsCompleted ? Results.Ok(view) : Results.Json(view, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Get a job's manifest.</summary>
    /// <remarks>
    /// The job's manifest as it was written (<c>result.json</c> beside the video, or wherever the job's output put it),
    /// or — for a document rejected at intake — its rejection record; 404 while there is none. Only a blob marked as
    /// this job's own record (<see cref="OwnedBlobs"/>) is served.
    /// </remarks>
    public static async Task<IResult> GetManifestAsync(
        string id, DurableTaskClient client, BlobServiceClient blobs, IOptions<WorkflowOptions> workflow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(workflow);
        if (!JobId.IsValid(id))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No job '{Quote(id)}'.");
        }

        var request = await ReadAsync(client, id, cancellationToken) is { } instance ? JobStatusView.RequestOf(instance) : null;
        var (container, name, kind) = request is null
            ? (workflow.Value.OutputContainer, $"{id}/{StorageNames.ManifestName}", OwnedBlobs.RejectionKind)
            : (request.OutputContainer, request.ManifestBlob, OwnedBlobs.ManifestKind);
        var none = Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"Job '{Quote(id)}' has no manifest yet.");
        BlobDownloadResult record;
        try
        {
            record = (await blobs.GetBlobContainerClient(container).GetBlobClient(name)
                .DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(0, MaxManifestBytes) }, cancellationToken)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == StatusCodes.Status404NotFound)
        {
            return none;
        }

        return OwnedBlobs.BelongsTo(record.Details.Metadata, id, kind) ? Results.Bytes(record.Content.ToMemory(), "application/json") : none;
    }

    /// <summary>List jobs.</summary>
    /// <remarks>
    /// One page of the engine's paged query, newest first within it, each job with its <see cref="JobOutcome"/>. An
    /// outcome (<paramref name="status"/>) is not a field the engine can query: the query asks for the runtime
    /// statuses that can hold it (<see cref="JobOutcomes.RuntimeStatuses"/>) and the page is filtered by the outcome of
    /// each of its jobs, so a page may hold fewer than <paramref name="top"/> jobs, even none, and still have a next one.
    /// The instances table is never scanned whole for a listing. A <paramref name="function"/> filters each page the same way.
    /// </remarks>
    public static async Task<IResult> ListAsync(
        HttpResponse response, DurableTaskClient client, string? status, string? runtimeStatus, string? function, int? top, string? continuationToken,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!string.IsNullOrEmpty(function) && !VaceFunctionNames.All.Contains(function))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"Unknown function; use one of {string.Join(", ", VaceFunctionNames.All)}.");
        }

        JobOutcome? outcome = null;
        IEnumerable<OrchestrationRuntimeStatus>? statuses = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<JobOutcome>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest,
                    title: $"Unknown status; use one of {string.Join(", ", Enum.GetNames<JobOutcome>())} (or runtimeStatus for the engine's).");
            }

            outcome = parsed;
            statuses = JobOutcomes.RuntimeStatuses(parsed);
        }

        if (!string.IsNullOrEmpty(runtimeStatus))
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(runtimeStatus, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest,
                    title: $"Unknown runtimeStatus; use one of {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.");
            }

            statuses = statuses is null ? [parsed] : statuses.Where(s => s == parsed);
        }

        if (statuses is not null && !statuses.Any())
        {
            return Results.Ok(Array.Empty<object>());
        }

        // Outputs and custom status tell the outcome; the engine reads them with the inputs, all in the same query.
        var size = Math.Clamp(top ?? 100, 1, 1000);
        var query = new OrchestrationQuery { Statuses = statuses?.ToArray(), PageSize = size, FetchInputsAndOutputs = true };
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(StorageTimeout);
        try
        {
            await foreach (var page in client.GetAllInstancesAsync(query).AsPages(continuationToken, size).WithCancellation(bounded.Token))
            {
                if (page.ContinuationToken is { Length: > 0 } next)
                {
                    response.Headers["X-Continuation-Token"] = next;
                }

                // A batch's own orchestration is not a job; its jobs are.
                return Results.Ok(page.Values
                    .Where(j => j.Name == VaceJobOrchestrator.Name)
                    .Select(j => (Instance: j, Outcome: JobOutcomes.Of(j), JobStatusView.RequestOf(j)?.Function))
                    .Where(j => (outcome is null || j.Outcome == outcome) && (string.IsNullOrEmpty(function) || j.Function == function))
                    .OrderByDescending(j => j.Instance.CreatedAt)
                    .Select(j => new
                    {
                        id = j.Instance.InstanceId,
                        outcome = j.Outcome.ToString(),
                        function = j.Function,
                        runtimeStatus = j.Instance.RuntimeStatus.ToString(),
                        createdAt = j.Instance.CreatedAt.UtcDateTime,
                        lastUpdatedAt = j.Instance.LastUpdatedAt.UtcDateTime,
                    }));
            }
        }
        catch (Exception) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The engine's client reports a cut-off call as canceled, or as the RPC's own failure: either way storage
            // did not answer in time, and the caller is told to come back rather than left waiting.
            response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: $"Storage did not answer within {StorageTimeout.TotalSeconds:0} s; retry after {RetryAfterSeconds} s.");
        }

        return Results.Ok(Array.Empty<object>());
    }

    public static async Task<IResult> CancelAsync(string id, DurableTaskClient client, JobCanceller canceller, CancellationToken cancellationToken)
    {
        if (JobId.IsValid(id) && await canceller.CancelAsync(id, "canceled by request", cancellationToken))
        {
            return Results.Accepted($"/api/jobs/{id}");
        }

        return await ReadAsync(client, id, cancellationToken) is null
            ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No job '{Quote(id)}'.")
            : Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The job has already ended.");
    }

    /// <summary>An instance with its input, output and custom status; null for an unknown or impossible job id.</summary>
    private static async Task<OrchestrationMetadata?> ReadAsync(DurableTaskClient client, string id, CancellationToken cancellationToken) =>
        JobId.IsValid(id) ? await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken) : null;

    /// <summary>Create a task (DashScope).</summary>
    /// <remarks>
    /// DashScope's create call. As at the service, every request is a new task (a fresh job id), so a client may send
    /// a body again after a failure. With an <see cref="IdempotencyKeyHeader"/> the id derives from the key and the
    /// body (<see cref="JobId.FromIdempotencyKey"/>): a repeat answers with the job it started, and the key with
    /// another body is refused (422 <see cref="IdempotencyKeyReused"/>) — two first uses of one key with different
    /// bodies at the same instant may both start. A body that names its own <c>id</c> (the job document's envelope)
    /// is deduplicated by it, as on <c>/api/jobs</c>.
    /// </remarks>
    public static async Task<IResult> CreateTaskAsync(HttpRequest request, JobIntake intake, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        if (!string.Equals(request.Headers[DashScopeClient.AsyncHeader], "enable", StringComparison.OrdinalIgnoreCase))
        {
            return DashScopeError(StatusCodes.Status403Forbidden, DashScopeErrorCodes.AccessDenied, "current user api does not support synchronous calls");
        }

        if (await ReadBodyAsync(request, cancellationToken) is not { } body)
        {
            return DashScopeError(StatusCodes.Status400BadRequest, DashScopeErrorCodes.InvalidParameter, "The request body is too large.");
        }

        string? key = request.Headers[IdempotencyKeyHeader];
        if (key is not null && (key.Length is 0 or > MaxIdempotencyKeyLength || key.Any(c => c is < ' ' or > '~')))
        {
            return DashScopeError(StatusCodes.Status400BadRequest, DashScopeErrorCodes.InvalidParameter,
                $"{IdempotencyKeyHeader} must be 1-{MaxIdempotencyKeyLength} printable ASCII characters.");
        }

        // A body that cannot be read goes to intake as it is, which reports why.
        var assigned = false;
        if (JobDocumentReader.Read(body) is { Document: { } document })
        {
            if (document.ContainsKey(JobFields.Id))
            {
                if (key is not null)
                {
                    return DashScopeError(StatusCodes.Status400BadRequest, DashScopeErrorCodes.InvalidParameter,
                        $"Send either an {IdempotencyKeyHeader} header or an id in the body, not both.");
                }
            }
            else if (key is not null)
            {
                var id = JobId.FromIdempotencyKey(key, document);
                if (await UsedWithAnotherBodyAsync(client, key, id, cancellationToken))
                {
                    return DashScopeError(StatusCodes.Status422UnprocessableEntity, IdempotencyKeyReused,
                        $"This {IdempotencyKeyHeader} was sent before with a different body; use a new key for a new request.");
                }

                document[JobFields.Id] = id;
                assigned = true;
            }
            else
            {
                document[JobFields.Id] = JobId.Fresh();
                assigned = true;
            }

            body = JsonSerializer.SerializeToUtf8Bytes(document, DashScopeJson);
        }

        var outcome = await intake.SubmitAsync(body, IntakeSource.Http, cancellationToken, idAssignedByHost: assigned);
        if (outcome.Status == IntakeStatus.Rejected)
        {
            return DashScopeError(StatusCodes.Status400BadRequest, DashScopeErrorCodes.InvalidParameter,
                string.Join("; ", outcome.Errors.Select(e => $"{e.Path}: {e.Message}")));
        }

        // A repeat (same key or id, same body) answers with the job's state now; a new one is PENDING.
        var taskStatus = outcome.Status == IntakeStatus.Existing && await ReadAsync(client, outcome.JobId, cancellationToken) is { } existing
            ? JobOutcomes.TaskStatus(JobOutcomes.Of(existing))
            : JobOutcomes.TaskStatus(JobOutcome.Waiting);
        return Results.Json(
            new DashScopeTaskResponse { RequestId = RequestId(), Output = new DashScopeTaskOutput { TaskId = outcome.JobId, TaskStatus = taskStatus } },
            DashScopeJson);
    }

    /// <summary>Whether a job holds an id derived from <paramref name="key"/> with a body other than the one of <paramref name="id"/>.</summary>
    private static async Task<bool> UsedWithAnotherBodyAsync(DurableTaskClient client, string key, string id, CancellationToken cancellationToken)
    {
        var query = new OrchestrationQuery { InstanceIdPrefix = JobId.IdempotencyKeyPrefix(key), PageSize = 2, FetchInputsAndOutputs = false };
        await foreach (var page in client.GetAllInstancesAsync(query).AsPages(pageSizeHint: 2).WithCancellation(cancellationToken))
        {
            return page.Values.Any(j => j.InstanceId != id);
        }

        return false;
    }

    /// <summary>Query a task (DashScope).</summary>
    /// <remarks>
    /// DashScope's query call. The times are this host's, in UTC, in the service's format (<see cref="DashScopeTaskOutput.TimeFormat"/>):
    /// submit_time when the job was created, end_time once it ended; scheduled_time is the service's, once the task ended.
    /// A FAILED task's code is the service's own when the service failed it, else one of <see cref="VaceJobErrorCodes"/>.
    /// </remarks>
    public static async Task<IResult> GetTaskAsync(
        string taskId, DurableTaskClient client, BlobServiceClient blobs, BlobReadUrls urls, IOptions<HttpApiOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var status = await ReadAsync(client, taskId, cancellationToken);
        var output = new DashScopeTaskOutput { TaskId = taskId, TaskStatus = "UNKNOWN" };
        DashScopeUsage? usage = null;
        if (status is not null)
        {
            var progress = JobStatusView.ProgressOf(status);
            var result = JobStatusView.ResultOf(status, progress);
            var outcome = JobOutcomes.Of(status, progress, result);
            output = output with { TaskStatus = JobOutcomes.TaskStatus(outcome), SubmitTime = Format(status.CreatedAt.UtcDateTime) };
            if (outcome is not (JobOutcome.Waiting or JobOutcome.Running))
            {
                output = output with { ScheduledTime = result?.ScheduledTime, EndTime = Format(status.LastUpdatedAt.UtcDateTime) };
            }

            if (result is { Succeeded: true })
            {
                var blob = blobs.GetBlobContainerClient(result.Container).GetBlobClient(result.Blob);
                output = output with { VideoUrl = (await urls.ReadUrlAsync(blob, time.GetUtcNow() + options.Value.OutputUrlLifetime, cancellationToken)).ToString() };
                usage = result.Usage;
            }
            else if (output.TaskStatus == "FAILED")
            {
                // An instance that failed has no result: an unexpected fault, which the workflow's own results call StepFailed.
                output = output with
                {
                    Code = result?.ErrorCode ?? VaceJobErrorCodes.StepFailed,
                    Message = result?.ErrorMessage ?? status.FailureDetails?.ErrorMessage ?? "The job failed.",
                };
            }
        }

        return Results.Json(new DashScopeTaskResponse { RequestId = RequestId(), Output = output, Usage = usage }, DashScopeJson);
    }

    /// <summary>Cancel a task (DashScope).</summary>
    /// <remarks>
    /// DashScope's cancel call, with the service's rule: only a task the face reports PENDING (not yet running at
    /// DashScope) can be canceled — the job ends as CANCELED at its next wait, as <see cref="JobCanceller"/> does it;
    /// any other task, or an unknown one, is 400 UnsupportedOperation. The answer is the service's: <c>{request_id}</c>.
    /// </remarks>
    public static async Task<IResult> CancelTaskAsync(string taskId, DurableTaskClient client, JobCanceller canceller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canceller);
        if (await ReadAsync(client, taskId, cancellationToken) is { } instance && JobOutcomes.Of(instance) == JobOutcome.Waiting
            && await canceller.CancelAsync(taskId, "canceled by request", cancellationToken))
        {
            return Results.Json(new DashScopeTaskResponse { RequestId = RequestId() }, DashScopeJson);
        }

        return DashScopeError(StatusCodes.Status400BadRequest, DashScopeErrorCodes.UnsupportedOperation,
            "Failed to cancel the task, please confirm if the task is in PENDING status.");
    }

    /// <summary>More than any manifest needs (its request is a document of at most 256 KB): the read stops there, whatever the blob holds.</summary>
    private const int MaxManifestBytes = 4 * 1024 * 1024;

    /// <summary>The answer to a body larger than a job document may be.</summary>
    internal static IResult DocumentTooLarge() =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: $"A job document may be at most {JobDocumentReader.MaxDocumentBytes / 1024} KB.");

    /// <summary>
    /// The most of a body too large for a job document that the server still takes in, and discards, after it answered:
    /// a client that sends such a body without waiting for 100-continue then reads the answer instead of a reset
    /// connection. Kestrel drains it for at most 5 s; a larger or longer body still has its connection closed.
    /// </summary>
    public const long MaxDrainedBodyBytes = 32L * 1024 * 1024;

    /// <summary>
    /// The body, or null when it is larger than a job document may be. No more than a job document is ever held; the
    /// server drains the rest after the answer, up to <see cref="MaxDrainedBodyBytes"/>.
    /// </summary>
    internal static Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        AllowDrain(request);
        return BoundedReads.ReadAtMostAsync(request.Body, JobDocumentReader.MaxDocumentBytes, cancellationToken);
    }

    /// <summary>Lets the server drain up to <see cref="MaxDrainedBodyBytes"/> of a body it answers without reading whole.</summary>
    private static void AllowDrain(HttpRequest request)
    {
        // The host-wide limit would make the drain fail at once, closing the connection while the client still sends,
        // which discards the answer on its side; the limit must be raised before the first read.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxDrainedBodyBytes;
        }
    }

    /// <summary>The answer to a caller of <c>/api/jobs</c> (or <c>/api/poison</c>) who must present a key and did not.</summary>
    public static IResult KeyRequired() => Results.Problem(
        statusCode: StatusCodes.Status401Unauthorized, title: "An API key is required (x-api-key or Authorization: Bearer).");

    /// <summary>The DashScope face's answer to a caller without a key it takes, in the service's words.</summary>
    public static IResult InvalidApiKey() =>
        DashScopeError(StatusCodes.Status401Unauthorized, DashScopeErrorCodes.InvalidApiKey, "Invalid API-key provided.");

    /// <summary>
    /// 415 for a request that has a body whose content type is not JSON (nor, with <paramref name="jsonLines"/>, JSON
    /// lines); null for any other.
    /// </summary>
    /// <remarks>
    /// A browser sends a cross-origin request without asking first only when it is "simple" — among others, a body
    /// of <c>text/plain</c> or a form. Taking JSON bodies alone means no web page can send the API a body it has not
    /// been allowed to send, whatever else lets the request through.
    /// </remarks>
    public static IResult? RefuseUnlessJson(HttpRequest request, bool dashScope, bool jsonLines = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (!hasBody || request.HasJsonContentType() || (jsonLines && IsJsonLines(request.ContentType)))
        {
            return null;
        }

        AllowDrain(request);

        var message = jsonLines
            ? "The request body must be JSON lines or JSON: send it with Content-Type: application/x-ndjson or application/json."
            : "The request body must be JSON: send it with Content-Type: application/json.";
        return dashScope
            ? DashScopeError(StatusCodes.Status415UnsupportedMediaType, DashScopeErrorCodes.InvalidParameter, message)
            : Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: message);
    }

    /// <summary>
    /// Whether a content type is JSON lines (<c>application/x-ndjson</c>, <c>application/jsonl</c>): like JSON, never
    /// one a browser sends across origins without asking first.
    /// </summary>
    public static bool IsJsonLines(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var type)
        && (type.MediaType.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.Equals("application/jsonl", StringComparison.OrdinalIgnoreCase));

    public static IResult DashScopeError(int status, string code, string message) => Results.Json(
        new DashScopeErrorResponse { RequestId = RequestId(), Code = code, Message = message }, DashScopeJson, statusCode: status);

    private static string Format(DateTime time) => time.ToString(DashScopeTaskOutput.TimeFormat, CultureInfo.InvariantCulture);

    private static string RequestId() => Guid.NewGuid().ToString();

    private static string Quote(string id) => id.Length <= 64 ? id : id[..64] + "...";
}
