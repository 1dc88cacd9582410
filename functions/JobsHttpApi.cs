using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Functions;

/// <summary>
/// JobsHttpApi: the same routes and shapes as the embedded host (<see cref="JobsApi"/>), behind function keys —
/// <c>/api/jobs</c> to start, read, list and cancel jobs, and the DashScope-compatible face under <c>/api/v1</c>.
/// Access here is the Functions host's: a function key (<c>x-functions-key</c> or <c>?code=</c>), one named key per
/// client, rotated with the host's key management; the embedded host's hashed keys, loopback trust and rate limit
/// (<see cref="HttpApiOptions"/>) do not apply.
/// </summary>
public sealed class JobsHttpApi(IServiceProvider services)
{
    [Function("SubmitJob")]
    public async Task<IActionResult> SubmitJob(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        Respond(await JobsApi.SubmitAsync(request, Intake(client), request.HttpContext.RequestAborted));

    [Function("GetJob")]
    public async Task<IActionResult> GetJob(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "jobs/{id}")] HttpRequest request, string id, [DurableClient] DurableTaskClient client) =>
        Respond(await JobsApi.GetAsync(id, client, services.GetRequiredService<BlobServiceClient>(), services.GetRequiredService<BlobReadUrls>(),
            services.GetRequiredService<IOptions<WorkflowOptions>>(), services.GetRequiredService<IOptions<HttpApiOptions>>(), services.GetRequiredService<TimeProvider>(),
            request.HttpContext.RequestAborted));

    [Function("GetJobManifest")]
    public async Task<IActionResult> GetJobManifest(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "jobs/{id}/manifest")] HttpRequest request, string id, [DurableClient] DurableTaskClient client) =>
        Respond(await JobsApi.GetManifestAsync(id, client, services.GetRequiredService<BlobServiceClient>(), services.GetRequiredService<IOptions<WorkflowOptions>>(),
            request.HttpContext.RequestAborted));

    [Function("ListJobs")]
    public static async Task<IActionResult> ListJobs(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "jobs")] HttpRequest request, [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = request.Query;
        int? top = int.TryParse(query["top"], out var parsed) ? parsed : null;
        return Respond(await JobsApi.ListAsync(
            request.HttpContext.Response, client, query["status"], query["runtimeStatus"], query["function"], top, query["continuationToken"], request.HttpContext.RequestAborted));
    }

    [Function("CancelJob")]
    public async Task<IActionResult> CancelJob(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs/{id}/cancel")] HttpRequest request, string id, [DurableClient] DurableTaskClient client) =>
        Respond(await JobsApi.CancelAsync(id, client, Canceller(client), request.HttpContext.RequestAborted));

    [Function("CreateDashScopeTask")]
    public async Task<IActionResult> CreateDashScopeTask(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/services/aigc/video-generation/video-synthesis")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        Respond(await JobsApi.CreateTaskAsync(request, Intake(client), client, request.HttpContext.RequestAborted));

    [Function("GetDashScopeTask")]
    public async Task<IActionResult> GetDashScopeTask(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "v1/tasks/{taskId}")] HttpRequest request, string taskId, [DurableClient] DurableTaskClient client) =>
        Respond(await JobsApi.GetTaskAsync(taskId, client, services.GetRequiredService<BlobServiceClient>(), services.GetRequiredService<BlobReadUrls>(),
            services.GetRequiredService<IOptions<HttpApiOptions>>(), services.GetRequiredService<TimeProvider>(), request.HttpContext.RequestAborted));

    [Function("CancelDashScopeTask")]
    public async Task<IActionResult> CancelDashScopeTask(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "v1/tasks/{taskId}/cancel")] HttpRequest request, string taskId, [DurableClient] DurableTaskClient client) =>
        Respond(await JobsApi.CancelTaskAsync(taskId, client, Canceller(client), request.HttpContext.RequestAborted));

    /// <summary>Intake with the client the Durable Functions binding hands this invocation.</summary>
    private JobIntake Intake(DurableTaskClient client) => ActivatorUtilities.CreateInstance<JobIntake>(services, client);

    /// <summary>A canceller with the client the Durable Functions binding hands this invocation.</summary>
    private JobCanceller Canceller(DurableTaskClient client) => ActivatorUtilities.CreateInstance<JobCanceller>(services, client);

    private static ResultAction Respond(IResult result) => ResultAction.Of(result);
}
