using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Batches;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.IO;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>
/// The batch routes' handlers, shared by both hosts: <c>/api/batches</c> starts a batch from JSON lines or a JSON
/// array of job documents, reads one, lists them and cancels one (docs/batches.md).
/// </summary>
public static class BatchesApi
{
    /// <summary>Maps the handlers as minimal-API routes (the embedded host), admitted as <c>/api/jobs</c> is.</summary>
    public static IEndpointRouteBuilder MapBatchesApi(
        this IEndpointRouteBuilder app, Func<HttpContext, bool> isAuthorized, string createPolicy)
    {
        ArgumentNullException.ThrowIfNull(isAuthorized);
        var batches = app.MapGroup("/api/batches").WithTags("Batches");
        batches.AddEndpointFilter(async (context, next) => isAuthorized(context.HttpContext)
            ? JobsApi.RefuseUnlessJson(context.HttpContext.Request, dashScope: false, jsonLines: true) ?? await next(context)
            : JobsApi.KeyRequired());
        batches.MapPost("", SubmitAsync).RequireRateLimiting(createPolicy).WithSummary("Start a batch")
            .WithDescription("JSON lines (application/x-ndjson) or a JSON array of job documents, the first optionally "
                + "{\"batch\": {id, callback_url, metadata}}; 202 with every rejected line, 400/413 for a refused file.");
        batches.MapGet("/{id}", GetAsync).WithSummary("A batch's state and counts")
            .WithDescription("State (validating, running, canceling, ended), counts by outcome, created and ended "
                + "times; 202 while it runs, 200 once it ended, 404 when unknown.");
        batches.MapGet("", ListAsync).WithSummary("List batches")
            .WithDescription("A page of batches (top, default 100); X-Continuation-Token gives the next page.");
        batches.MapPost("/{id}/cancel", CancelAsync).WithSummary("Cancel a batch")
            .WithDescription("Every job not yet running at DashScope is canceled; running tasks are followed to their end.");
        return app;
    }

    public static async Task<IResult> SubmitAsync(HttpRequest request, BatchIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        var limit = (int)Math.Min(intake.Options.MaxBytes, Array.MaxLength);
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = Math.Max(limit + 1L, JobsApi.MaxDrainedBodyBytes);
        }

        if (await BoundedReads.ReadAtMostAsync(request.Body, limit, cancellationToken) is not { } body)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge,
                title: BatchDocument.TooLargeMessage(intake.Options.MaxBytes));
        }

        var submission = await intake.SubmitAsync(body, IntakeSource.Http, cancellationToken);
        var batch = submission.Document;
        if (submission.Status == BatchSubmissionStatus.Refused)
        {
            return Results.Problem(
                statusCode: batch.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
                title: batch.Refusal,
                extensions: new Dictionary<string, object?> { ["rejected"] = Rejected(batch) });
        }

        var location = $"/api/batches/{batch.BatchId}";
        return Results.Accepted(location, new
        {
            id = batch.BatchId,
            created = submission.Status == BatchSubmissionStatus.Started,
            lines = batch.Lines.Count,
            accepted = batch.ValidCount,
            rejected = Rejected(batch),
            statusQueryGetUri = location,
            cancelPostUri = location + "/cancel",
        });
    }

    public static async Task<IResult> GetAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!BatchDocument.IsValidId(id)
            || await client.GetInstanceAsync(BatchRequest.InstanceId(id), getInputsAndOutputs: true, cancellationToken)
                is not { } instance)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No batch '{id}'.");
        }

        var view = View(instance);
        return view.State == BatchState.Ended ? Results.Ok(view) : Results.Json(view, statusCode: StatusCodes.Status202Accepted);
    }

    public static async Task<IResult> ListAsync(
        HttpResponse response, DurableTaskClient client, int? top, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(client);
        var size = Math.Clamp(top ?? 100, 1, 1000);
        var query = new OrchestrationQuery
        {
            InstanceIdPrefix = BatchRequest.InstancePrefix, PageSize = size, FetchInputsAndOutputs = true,
        };
        await foreach (var page in client.GetAllInstancesAsync(query).AsPages(continuationToken, size)
            .WithCancellation(cancellationToken))
        {
            if (page.ContinuationToken is { Length: > 0 } next)
            {
                response.Headers["X-Continuation-Token"] = next;
            }

            return Results.Ok(page.Values.OrderByDescending(i => i.CreatedAt).Select(View));
        }

        return Results.Ok(Array.Empty<BatchView>());
    }

    public static async Task<IResult> CancelAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var instance = BatchDocument.IsValidId(id)
            ? await client.GetInstanceAsync(BatchRequest.InstanceId(id), getInputsAndOutputs: false, cancellationToken)
            : null;
        if (instance is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No batch '{id}'.");
        }

        if (instance.IsCompleted)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The batch has already ended.");
        }

        await client.RaiseEventAsync(instance.InstanceId, BatchOrchestrator.CancelEvent, "canceled by request", cancellationToken);
        return Results.Accepted($"/api/batches/{id}");
    }

    private static object[] Rejected(BatchDocument batch) =>
        [.. batch.Lines.Where(l => !l.Valid).Select(l => new { line = l.Line, jobId = l.JobId, errors = l.Errors })];

    /// <summary>A batch as the routes show it.</summary>
    public sealed record BatchView(
        string Id, string State, BatchCounts Counts, int Lines, int Started, DateTime CreatedAt, DateTime? EndedAt,
        int? RunningAtCancel, string RuntimeStatus, string? Results, int? CallbackStatus);

    private static BatchView View(OrchestrationMetadata instance)
    {
        var id = instance.InstanceId[BatchRequest.InstancePrefix.Length..];
        var status = (instance.IsCompleted ? instance.ReadOutputAs<BatchStatus>() : null)
            ?? (instance.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<BatchStatus>());
        var request = instance.SerializedInput is null ? null : instance.ReadInputAs<BatchRequest>();
        var state = status?.State ?? (instance.RuntimeStatus == OrchestrationRuntimeStatus.Failed
            ? BatchState.Ended : BatchState.Validating);
        return new BatchView(
            id,
            state,
            status?.Counts ?? new BatchCounts(Rejected: request?.Rejected ?? 0,
                Waiting: (request?.Lines ?? 0) - (request?.Rejected ?? 0)),
            status?.Lines ?? request?.Lines ?? 0,
            status?.Started ?? 0,
            status?.CreatedAt ?? request?.CreatedAt ?? instance.CreatedAt.UtcDateTime,
            status?.EndedAt,
            status?.RunningAtCancel,
            instance.RuntimeStatus.ToString(),
            state == BatchState.Ended ? $"{BatchStore.Folder}/{id}/{BatchStore.ResultsName}" : null,
            status?.CallbackStatus);
    }
}
