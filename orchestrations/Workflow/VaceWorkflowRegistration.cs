using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Batches;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Timing;

namespace VaceFunctions.Orchestrations.Workflow;

/// <summary>The VACE orchestrator and its activities on a Durable Task worker, registered once for every host.</summary>
public static class VaceWorkflowRegistration
{
    /// <summary>Adds the job and batch orchestrators and every activity, each under the name of its <see cref="DurableTaskAttribute"/>.</summary>
    public static DurableTaskRegistry AddVaceWorkflow(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<VaceJobOrchestrator>()
            .AddActivity<ProbeInputsActivity>()
            .AddActivity<AcquireSlotActivity>()
            .AddActivity<ReleaseSlotActivity>()
            .AddActivity<SubmitTaskActivity>()
            .AddActivity<PollTaskActivity>()
            .AddActivity<RecentModelTimesActivity>()
            .AddActivity<RecordModelTimeActivity>()
            .AddActivity<CancelTaskActivity>()
            .AddActivity<CopyOutputActivity>()
            .AddActivity<WriteManifestActivity>()
            .AddActivity<NotifyCallbackActivity>()
            .AddOrchestrator<BatchOrchestrator>()
            .AddActivity<StartBatchPageActivity>()
            .AddActivity<ReadBatchProgressActivity>()
            .AddActivity<CancelBatchJobsActivity>()
            .AddActivity<WriteBatchResultsActivity>();
    }

    /// <summary>
    /// Makes every Durable Task worker and client of the container serialize orchestration and activity inputs,
    /// outputs and custom statuses with <see cref="WorkflowJson.Options"/>, the one set of JSON options of both hosts.
    /// </summary>
    public static IServiceCollection UseWorkflowJson(this IServiceCollection services)
    {
        services.ConfigureAll<DurableTaskWorkerOptions>(options => options.DataConverter = WorkflowJson.DataConverter);
        services.ConfigureAll<DurableTaskClientOptions>(options => options.DataConverter = WorkflowJson.DataConverter);
        return services;
    }
}
