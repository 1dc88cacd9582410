using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Jobs;
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
            ? await next(context)
            : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "An API key is required (x-api-key or Authorization: Bearer)."));
        jobs.MapPost("", SubmitAsync).RequireRateLimiting(createPolicy).WithSummary("Start a job from a job document (the DashScope request body plus optional id, output, callback_url).");
        jobs.MapGet("/{id}", GetAsync).WithSummary(
            "A job's status: 202 while it runs, 200 once it ended (runtimeStatus Rejected, with every error, for a document rejected at intake), 404 when unknown.");
        jobs.MapGet("", ListAsync).WithSummary(
            "A page of jobs (top, default 100), newest first, optionally by runtime status (Pending, Running, Completed, Failed, Terminated); "
            + "the X-Continuation-Token response header, sent back as continuationToken, gives the next page.");
        jobs.MapPost("/{id}/cancel", CancelAsync).WithSummary(
            "Ask a job to stop: it ends as Canceled at its next wait (its DashScope task is canceled while still PENDING); 202 when asked.");

        var dashScope = app.MapGroup("/api/v1").WithTags("DashScope-compatible");
        dashScope.AddEndpointFilter(async (context, next) => isAuthorized(context.HttpContext)
            ? await next(context)
            : DashScopeError(StatusCodes.Status401Unauthorized, DashScopeErrorCodes.InvalidApiKey, "Invalid API-key provided."));
        dashScope.MapPost("/services/aigc/video-generation/video-synthesis", CreateTaskAsync).RequireRateLimiting(createPolicy).WithSummary("DashScope's create call: the job id is the task id.");
        dashScope.MapGet("/tasks/{taskId}", GetTaskAsync).WithSummary("DashScope's query call; video_url is a read SAS URL of the owned blob.");
        return app;
    }

    public static async Task<IResult> SubmitAsync(HttpRequest request, JobIntake intake, CancellationToken cancellationToken)
    {
        if (await ReadBodyAsync(request, cancellationToken) is not { } body)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: $"A job document may be at most {JobDocumentReader.MaxDocumentBytes / 1024} KB.");
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

    public static async Task<IResult> GetAsync(
        string id, DurableTaskClient client, BlobServiceClient blobs, IOptions<WorkflowOptions> workflow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(workflow);
        if (await ReadAsync(client, id, cancellationToken) is not { } instance)
        {
            // A document rejected at intake never became an instance: its rejection record is its status.
            return JobId.IsValid(id) && await RejectionRecords.ReadAsync(blobs.GetBlobContainerClient(workflow.Value.OutputContainer), id, cancellationToken) is { } rejection
                ? Results.Ok(JobStatusView.Rejected(rejection))
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No job '{Quote(id)}'.");
        }

        // A job has ended once it has a result: also while it follows a billed task it could not cancel.
        var view = JobStatusView.From(instance);
        return view.Result is not null || instance.IsCompleted ? Results.Ok(view) : Results.Json(view, statusCode: StatusCodes.Status202Accepted);
    }

    public static async Task<IResult> ListAsync(
        HttpResponse response, DurableTaskClient client, string? status, int? top, string? continuationToken, CancellationToken cancellationToken)
    {
        OrchestrationRuntimeStatus[] statuses = [];
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest,
                    title: $"Unknown status; use one of {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.");
            }

            statuses = [parsed];
        }

        // One page of the engine's paged query: the instances table is never scanned whole for a listing.
        var size = Math.Clamp(top ?? 100, 1, 1000);
        var query = new OrchestrationQuery { Statuses = statuses, PageSize = size, FetchInputsAndOutputs = false };
        await foreach (var page in client.GetAllInstancesAsync(query).AsPages(continuationToken, size).WithCancellation(cancellationToken))
        {
            if (page.ContinuationToken is { Length: > 0 } next)
            {
                response.Headers["X-Continuation-Token"] = next;
            }

            return Results.Ok(page.Values.OrderByDescending(j => j.CreatedAt)
                .Select(j => new { id = j.InstanceId, runtimeStatus = j.RuntimeStatus.ToString(), createdAt = j.CreatedAt.UtcDateTime, lastUpdatedAt = j.LastUpdatedAt.UtcDateTime }));
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

    public static async Task<IResult> CreateTaskAsync(HttpRequest request, JobIntake intake, CancellationToken cancellationToken)
    {
        if (!string.Equals(request.Headers[DashScopeClient.AsyncHeader], "enable", StringComparison.OrdinalIgnoreCase))
        {
            return DashScopeError(StatusCodes.Status403Forbidden, DashScopeErrorCodes.AccessDenied, "current user api does not support synchronous calls");
        }

        if (await ReadBodyAsync(request, cancellationToken) is not { } body)
        {
            return DashScopeError(StatusCodes.Status400BadRequest, DashScopeErrorCodes.InvalidParameter, "The request body is too large.");
        }

        var outcome = await intake.SubmitAsync(body, IntakeSource.Http, cancellationToken);
        if (outcome.Status == IntakeStatus.Rejected)
        {
            var first = outcome.Errors.First();
            return DashScopeError(StatusCodes.Status400BadRequest, DashScopeErrorCodes.InvalidParameter, $"{first.Path}: {first.Message}");
        }

        return Results.Json(
            new DashScopeTaskResponse { RequestId = RequestId(), Output = new DashScopeTaskOutput { TaskId = outcome.JobId, TaskStatus = "PENDING" } },
            DashScopeJson);
    }

    public static async Task<IResult> GetTaskAsync(
        string taskId, DurableTaskClient client, BlobServiceClient blobs, BlobReadUrls urls, IOptions<HttpApiOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var status = await ReadAsync(client, taskId, cancellationToken);
        var output = new DashScopeTaskOutput { TaskId = taskId, TaskStatus = "UNKNOWN" };
        DashScopeUsage? usage = null;
        if (status is not null)
        {
            var progress = JobStatusView.ProgressOf(status);
            var result = JobStatusView.ResultOf(status, progress);
            output = output with { TaskStatus = TaskStatusOf(status, progress, result), SubmitTime = Format(status.CreatedAt.UtcDateTime) };
            if (result is { Succeeded: true })
            {
                var blob = blobs.GetBlobContainerClient(result.Container).GetBlobClient(result.Blob);
                output = output with
                {
                    ScheduledTime = result.ScheduledTime,
                    EndTime = Format(status.LastUpdatedAt.UtcDateTime),
                    VideoUrl = (await urls.ReadUrlAsync(blob, time.GetUtcNow() + options.Value.OutputUrlLifetime, cancellationToken)).ToString(),
                };
                usage = result.Usage;
            }
            else if (output.TaskStatus == "FAILED")
            {
                output = output with
                {
                    EndTime = Format(status.LastUpdatedAt.UtcDateTime),
                    Code = result?.ErrorCode ?? DashScopeErrorCodes.InternalError,
                    Message = result?.ErrorMessage ?? status.FailureDetails?.ErrorMessage ?? "The job failed.",
                };
            }
        }

        return Results.Json(new DashScopeTaskResponse { RequestId = RequestId(), Output = output, Usage = usage }, DashScopeJson);
    }

    /// <summary>
    /// The job's state in DashScope's words: PENDING until its task runs, RUNNING until the copy is done, then its
    /// outcome — also while the job follows a billed task it could not cancel (its outcome is reported already).
    /// </summary>
    private static string TaskStatusOf(OrchestrationMetadata status, VaceJobStatus? progress, VaceJobResult? result) => status.RuntimeStatus switch
    {
        OrchestrationRuntimeStatus.Failed => "FAILED",
        OrchestrationRuntimeStatus.Terminated => "CANCELED",
        _ when result is not null => result.Succeeded ? "SUCCEEDED" : result.ErrorCode == VaceJobErrorCodes.Canceled ? "CANCELED" : "FAILED",
        OrchestrationRuntimeStatus.Completed => "FAILED",
        _ => progress?.Phase switch
        {
            null or VaceJobPhase.Probing or VaceJobPhase.WaitingForSlot or VaceJobPhase.Submitting => "PENDING",
            // SUCCEEDED at the service is not yet ours: the video still has to be copied.
            VaceJobPhase.Generating => progress.TaskStatus is null or "PENDING" ? "PENDING" : "RUNNING",
            _ => "RUNNING",
        },
    };

    /// <summary>The body, or null when it is larger than a job document may be.</summary>
    private static Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken) =>
        BoundedReads.ReadAtMostAsync(request.Body, JobDocumentReader.MaxDocumentBytes, cancellationToken);

    public static IResult DashScopeError(int status, string code, string message) => Results.Json(
        new DashScopeErrorResponse { RequestId = RequestId(), Code = code, Message = message }, DashScopeJson, statusCode: status);

    private static string Format(DateTime time) => time.ToString(DashScopeTaskOutput.TimeFormat, CultureInfo.InvariantCulture);

    private static string RequestId() => Guid.NewGuid().ToString();

    private static string Quote(string id) => id.Length <= 64 ? id : id[..64] + "...";
}
