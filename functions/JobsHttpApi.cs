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

/// <summary>JobsHttpApi: the embedded host's routes and shapes (<see cref="JobsApi"/>) as HTTP functions.</summary>
/// <remarks>
/// <para>
/// <c>/api/jobs</c> (start, read, list and cancel jobs) is behind the Functions host's function keys
/// (<c>x-functions-key</c> or <c>?code=</c>), one named key per client, rotated with the host's key management.
/// </para>
/// <para>
/// The DashScope-compatible face under <c>/api/v1</c> takes what every DashScope client sends: a client's key as
/// <c>Authorization: Bearer</c> (or <c>x-api-key</c>), checked here against the same hashed client keys as the embedded
/// host's (<see cref="HttpApiOptions.Keys"/>, <c>Vace__Http__Keys__NAME</c> app settings), so the host lets its requests
/// through without a function key. Loopback trust and the rate limit do not apply here. Bodies must be JSON (415).
/// </para>
/// </remarks>
public sealed class JobsHttpApi(IServiceProvider services, ClientKeys keys)
{
    [Function("SubmitJob")]
    public async Task<IActionResult> SubmitJob(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        Respond(JobsApi.RefuseUnlessJson(request, dashScope: false)
            ?? await JobsApi.SubmitAsync(request, Intake(client), request.HttpContext.RequestAborted));

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
        Respond(JobsApi.RefuseUnlessJson(request, dashScope: false)
            ?? await JobsApi.CancelAsync(id, client, Canceller(client), request.HttpContext.RequestAborted));

    [Function("CreateDashScopeTask")]
    public async Task<IActionResult> CreateDashScopeTask(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/services/aigc/video-generation/video-synthesis")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        Respond(RefuseOnTheFace(request) ?? await JobsApi.CreateTaskAsync(request, Intake(client), client, request.HttpContext.RequestAborted));

    [Function("GetDashScopeTask")]
    public async Task<IActionResult> GetDashScopeTask(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/tasks/{taskId}")] HttpRequest request, string taskId, [DurableClient] DurableTaskClient client) =>
        Respond(RefuseOnTheFace(request) ?? await JobsApi.GetTaskAsync(taskId, client, services.GetRequiredService<BlobServiceClient>(), services.GetRequiredService<BlobReadUrls>(),
            services.GetRequiredService<IOptions<HttpApiOptions>>(), services.GetRequiredService<TimeProvider>(), request.HttpContext.RequestAborted));

    [Function("CancelDashScopeTask")]
    public async Task<IActionResult> CancelDashScopeTask(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/tasks/{taskId}/cancel")] HttpRequest request, string taskId, [DurableClient] DurableTaskClient client) =>
        Respond(RefuseOnTheFace(request) ?? await JobsApi.CancelTaskAsync(taskId, client, Canceller(client), request.HttpContext.RequestAborted));

    /// <summary>The face's refusal of a request without a client's key, or with a body that is not JSON; null to serve it.</summary>
    private IResult? RefuseOnTheFace(HttpRequest request) =>
        ClientKeys.Presented(request.Headers) is { } presented && keys.ClientOf(presented) is not null
            ? JobsApi.RefuseUnlessJson(request, dashScope: true)
            : JobsApi.InvalidApiKey();

    /// <summary>Intake with the client the Durable Functions binding hands this invocation.</summary>
    private JobIntake Intake(DurableTaskClient client) => ActivatorUtilities.CreateInstance<JobIntake>(services, client);

    /// <summary>A canceller with the client the Durable Functions binding hands this invocation.</summary>
    private JobCanceller Canceller(DurableTaskClient client) => ActivatorUtilities.CreateInstance<JobCanceller>(services, client);

    private static ResultAction Respond(IResult result) => ResultAction.Of(result);
}
