using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Operations;

namespace VaceFunctions.Functions;

/// <summary>
/// PoisonHttpApi: the jobs queue's poison messages over HTTP, the embedded host's routes and shapes (<see cref="PoisonApi"/>)
/// behind function keys — list, show, re-drive (a JSON body replaces the document) and delete.
/// </summary>
public sealed class PoisonHttpApi(IServiceProvider services)
{
    [Function("ListPoison")]
    public async Task<IActionResult> ListPoison(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "poison")] HttpRequest request, [DurableClient] DurableTaskClient client) =>
        ResultAction.Of(await PoisonApi.ListAsync(Queue(client), request.HttpContext.RequestAborted));

    [Function("ShowPoison")]
    public async Task<IActionResult> ShowPoison(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "poison/{id}")] HttpRequest request, string id, [DurableClient] DurableTaskClient client) =>
        ResultAction.Of(await PoisonApi.ShowAsync(id, Queue(client), request.HttpContext.RequestAborted));

    [Function("RedrivePoison")]
    public async Task<IActionResult> RedrivePoison(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "poison/{id}/redrive")] HttpRequest request, string id, [DurableClient] DurableTaskClient client) =>
        ResultAction.Of(JobsApi.RefuseUnlessJson(request, dashScope: false)
            ?? await PoisonApi.RedriveAsync(id, request, Queue(client), request.HttpContext.RequestAborted));

    [Function("DeletePoison")]
    public async Task<IActionResult> DeletePoison(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "poison/{id}")] HttpRequest request, string id, [DurableClient] DurableTaskClient client) =>
        ResultAction.Of(await PoisonApi.DeleteAsync(id, Queue(client), request.HttpContext.RequestAborted));

    /// <summary>The poison queue, validating with an intake over the client the Durable Functions binding hands this invocation.</summary>
    private PoisonMessages Queue(DurableTaskClient client) =>
        ActivatorUtilities.CreateInstance<PoisonMessages>(services, ActivatorUtilities.CreateInstance<JobIntake>(services, client));
}
