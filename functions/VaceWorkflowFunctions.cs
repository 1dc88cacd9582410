using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Batches;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Timing;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Functions;

/// <summary>
/// The VACE orchestrator and its activities on Durable Functions: one line each, under the names the orchestrator
/// calls them by. The workflow itself lives in orchestrations/ and is the same one the embedded host runs.
/// </summary>
public sealed class VaceWorkflowFunctions(IServiceProvider services)
{
    /// <summary>Runs one job: started by the queue, blob and HTTP triggers with the job id as instance id.</summary>
    [Function(VaceJobOrchestrator.Name)]
    public static Task<VaceJobResult> VaceJob([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new VaceJobOrchestrator().RunAsync(context, context.GetInput<VaceJobRequest>()!);

    [Function(ProbeInputsActivity.Name)]
    public Task<IReadOnlyList<string>> ProbeInputs([ActivityTrigger] IReadOnlyList<MediaReference> media, FunctionContext context) =>
        Create<ProbeInputsActivity>().RunAsync(media, context.CancellationToken);

    [Function(AcquireSlotActivity.Name)]
    public Task<SlotGrant> AcquireSlot([ActivityTrigger] AcquireSlotActivity.Request request, FunctionContext context) =>
        Create<AcquireSlotActivity>().RunAsync(request, context.CancellationToken);

    /// <summary>Gives back a slot; the durable client raises the wake-up on the next waiting job's orchestration.</summary>
    [Function(ReleaseSlotActivity.Name)]
    public Task<bool> ReleaseSlot([ActivityTrigger] string jobId, [DurableClient] DurableTaskClient client, FunctionContext context) =>
        ActivatorUtilities.CreateInstance<ReleaseSlotActivity>(services, client).RunAsync(jobId, context.CancellationToken);

    [Function(SubmitTaskActivity.Name)]
    public Task<SubmitTaskActivity.Result> SubmitTask([ActivityTrigger] SubmitTaskActivity.Request request, FunctionContext context) =>
        Create<SubmitTaskActivity>().RunAsync(request, context.CancellationToken);

    [Function(PollTaskActivity.Name)]
    public Task<PollTaskActivity.Result> PollTask([ActivityTrigger] string taskId, FunctionContext context) =>
        Create<PollTaskActivity>().RunAsync(taskId, context.CancellationToken);

    [Function(RecentModelTimesActivity.Name)]
    public Task<IReadOnlyList<double>> RecentModelTimes([ActivityTrigger] string key, FunctionContext context) =>
        Create<RecentModelTimesActivity>().RunAsync(key, context.CancellationToken);

    [Function(RecordModelTimeActivity.Name)]
    public Task<bool> RecordModelTime([ActivityTrigger] RecordModelTimeActivity.Request request, FunctionContext context) =>
        Create<RecordModelTimeActivity>().RunAsync(request, context.CancellationToken);

    [Function(CancelTaskActivity.Name)]
    public Task<bool> CancelTask([ActivityTrigger] string taskId, FunctionContext context) =>
        Create<CancelTaskActivity>().RunAsync(taskId, context.CancellationToken);

    [Function(CopyOutputActivity.Name)]
    public Task<CopyOutputActivity.Result> CopyOutput([ActivityTrigger] CopyOutputActivity.Request request, FunctionContext context) =>
        Create<CopyOutputActivity>().RunAsync(request, context.CancellationToken);

    [Function(WriteManifestActivity.Name)]
    public Task<string> WriteManifest([ActivityTrigger] WriteManifestActivity.Request request, FunctionContext context) =>
        Create<WriteManifestActivity>().RunAsync(request, context.CancellationToken);

    [Function(NotifyCallbackActivity.Name)]
    public Task<int> NotifyCallback([ActivityTrigger] NotifyCallbackActivity.Request request, FunctionContext context) =>
        Create<NotifyCallbackActivity>().RunAsync(request, context.CancellationToken);

    /// <summary>Runs one batch: started by <c>POST /api/batches</c> under <c>batch:{id}</c>.</summary>
    [Function(BatchOrchestrator.Name)]
    public static Task<BatchStatus> VaceBatch([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new BatchOrchestrator().RunAsync(context, context.GetInput<BatchRequest>()!);

    /// <summary>Starts a page of a batch's jobs with the client the binding hands the activity.</summary>
    [Function(StartBatchPageActivity.Name)]
    public Task<int> StartBatchPage(
        [ActivityTrigger] BatchPage page, [DurableClient] DurableTaskClient client, FunctionContext context) =>
        ActivatorUtilities.CreateInstance<StartBatchPageActivity>(
            services, ActivatorUtilities.CreateInstance<JobIntake>(services, client)).RunAsync(page, context.CancellationToken);

    [Function(ReadBatchProgressActivity.Name)]
    public Task<BatchCounts> ReadBatchProgress(
        [ActivityTrigger] BatchPage page, [DurableClient] DurableTaskClient client, FunctionContext context) =>
        ActivatorUtilities.CreateInstance<ReadBatchProgressActivity>(services, Jobs(client)).RunAsync(page, context.CancellationToken);

    [Function(CancelBatchJobsActivity.Name)]
    public Task<int> CancelBatchJobs(
        [ActivityTrigger] BatchPage page, [DurableClient] DurableTaskClient client, FunctionContext context) =>
        ActivatorUtilities.CreateInstance<CancelBatchJobsActivity>(
            services, Jobs(client), ActivatorUtilities.CreateInstance<Orchestrations.Http.JobCanceller>(services, client))
            .RunAsync(page, context.CancellationToken);

    [Function(WriteBatchResultsActivity.Name)]
    public Task<WriteBatchResultsActivity.Result> WriteBatchResults(
        [ActivityTrigger] WriteBatchResultsActivity.Request request, [DurableClient] DurableTaskClient client,
        FunctionContext context) =>
        ActivatorUtilities.CreateInstance<WriteBatchResultsActivity>(services, Jobs(client))
            .RunAsync(request, context.CancellationToken);

    private BatchJobs Jobs(DurableTaskClient client) => ActivatorUtilities.CreateInstance<BatchJobs>(services, client);

    private T Create<T>() => ActivatorUtilities.CreateInstance<T>(services);
}
