using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VaceFunctions.Orchestrations.Http;

namespace VaceFunctions.Orchestrations.Operations;

/// <summary>
/// The poison queue over HTTP, shared by both hosts (<see cref="PoisonMessages"/>): <c>GET /api/poison</c> lists its
/// front, <c>GET /api/poison/{id}</c> shows a message with its document, <c>POST /api/poison/{id}/redrive</c> sends it
/// back to the jobs queue once it validates (a JSON body replaces the document), <c>DELETE /api/poison/{id}</c> drops it.
/// </summary>
public static class PoisonApi
{
    /// <summary>Maps the handlers as minimal-API routes (the embedded host), each admitted only when <paramref name="isAuthorized"/> says so.</summary>
    public static IEndpointRouteBuilder MapPoisonApi(this IEndpointRouteBuilder app, Func<HttpContext, bool> isAuthorized)
    {
        ArgumentNullException.ThrowIfNull(isAuthorized);
        var poison = app.MapGroup("/api/poison").WithTags("Poison queue");
        poison.AddEndpointFilter(async (context, next) => isAuthorized(context.HttpContext)
            ? JobsApi.RefuseUnlessJson(context.HttpContext.Request, dashScope: false) ?? await next(context)
            : JobsApi.KeyRequired());
        poison.MapGet("", (PoisonMessages queue, CancellationToken ct) => ListAsync(queue, ct))
            .WithSummary("List poison messages").WithDescription(
                "The first messages of the jobs queue's poison queue (at most 32: a queue can be peeked no further) with "
                + "the queue's approximate length, each with its job id and why it is there.");
        poison.MapGet("/{id}", (string id, PoisonMessages queue, CancellationToken ct) => ShowAsync(id, queue, ct))
            .WithSummary("Get a poison message")
            .WithDescription("One poison message with its document and reason; 404 when the queue holds none with this id.");
        poison.MapPost("/{id}/redrive", (string id, HttpRequest request, PoisonMessages queue, CancellationToken ct) =>
                RedriveAsync(id, request, queue, ct))
            .WithSummary("Re-drive a poison message").WithDescription(
                "Validates the message's document again (a JSON body replaces it with a corrected one): 202 when it went "
                + "back on the jobs queue, 422 with every error when it stays.");
        poison.MapDelete("/{id}", (string id, PoisonMessages queue, CancellationToken ct) => DeleteAsync(id, queue, ct))
            .WithSummary("Delete a poison message")
            .WithDescription("Deletes a poison message (its rejection record stays); 204, or 404.");
        return app;
    }

    public static async Task<IResult> ListAsync(PoisonMessages queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return Results.Ok(await queue.ListAsync(cancellationToken));
    }

    public static async Task<IResult> ShowAsync(string id, PoisonMessages queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return await queue.ShowAsync(id, cancellationToken) is { } message ? Results.Ok(message) : NotFound(id);
    }

    public static async Task<IResult> RedriveAsync(string id, HttpRequest request, PoisonMessages queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(queue);
        if (await JobsApi.ReadBodyAsync(request, cancellationToken) is not { } body)
        {
            return JobsApi.DocumentTooLarge();
        }

        // Spelled out: a null array would convert to an empty memory, not to none.
        ReadOnlyMemory<byte>? replacement = null;
        if (body.Length > 0)
        {
            replacement = body;
        }

        var outcome = await queue.RedriveAsync(id, replacement, cancellationToken);
        if (!outcome.Found)
        {
            return NotFound(id);
        }

        if (!outcome.Requeued)
        {
            return Results.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "The document is still invalid; the message stays in the poison queue.",
                detail: string.Join(" ", outcome.Errors.Select(e => $"{e.Path}: {e.Message}")),
                extensions: new Dictionary<string, object?> { ["jobId"] = outcome.JobId, ["errors"] = outcome.Errors.ToArray() });
        }

        return Results.Accepted($"/api/jobs/{outcome.JobId}", new { jobId = outcome.JobId, requeued = true, statusQueryGetUri = $"/api/jobs/{outcome.JobId}" });
    }

    public static async Task<IResult> DeleteAsync(string id, PoisonMessages queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return await queue.DeleteAsync(id, cancellationToken) ? Results.NoContent() : NotFound(id);
    }

    private static IResult NotFound(string id) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: $"No poison message '{(id.Length <= 64 ? id : id[..64] + "...")}' (or another operation is holding it; try again in {PoisonMessages.SearchVisibility.TotalSeconds:0} s).");
}
