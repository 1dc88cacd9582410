using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Batches;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Functions;

/// <summary>BatchesHttpApi: the embedded host's <c>/api/batches</c> routes (<see cref="BatchesApi"/>) as HTTP functions.</summary>
/// <remarks>Behind function keys, as <c>/api/jobs</c>; bodies must be JSON lines or JSON (415).</remarks>
public sealed class BatchesHttpApi(IServiceProvider services)
{
    [Function("SubmitBatch")]
    public async Task<IActionResult> SubmitBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Respond(JobsApi.RefuseUnlessJson(request, dashScope: false, jsonLines: true)
            ?? await BatchesApi.SubmitAsync(request, Intake(client), request.HttpContext.RequestAborted));
    }

    [Function("GetBatch")]
    public static async Task<IActionResult> GetBatch(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}")] HttpRequest request, string id,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Respond(await BatchesApi.GetAsync(id, client, request.HttpContext.RequestAborted));
    }

    [Function("ListBatches")]
    public static async Task<IActionResult> ListBatches(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        int? top = int.TryParse(request.Query["top"], out var parsed) ? parsed : null;
        return Respond(await BatchesApi.ListAsync(
            request.HttpContext.Response, client, top, request.Query["continuationToken"], request.HttpContext.RequestAborted));
    }

    [Function("CancelBatch")]
    public static async Task<IActionResult> CancelBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches/{id}/cancel")] HttpRequest request, string id,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Respond(JobsApi.RefuseUnlessJson(request, dashScope: false)
            ?? await BatchesApi.CancelAsync(id, client, request.HttpContext.RequestAborted));
    }

    /// <summary>Batch intake with the client the Durable Functions binding hands this invocation.</summary>
    private BatchIntake Intake(DurableTaskClient client) => ActivatorUtilities.CreateInstance<BatchIntake>(
        services, client, ActivatorUtilities.CreateInstance<JobIntake>(services, client));

    private static ResultAction Respond(IResult result) => ResultAction.Of(result);
}
