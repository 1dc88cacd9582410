using VaceFunctions.Local.Durable;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Workflow;

/// <summary>Maps the VACE orchestrator and its activities onto the embedded runtime, by their names.</summary>
public static class VaceWorkflowRegistration
{
    public static DurableRegistry AddVaceWorkflow(this DurableRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<VaceJobOrchestrator, VaceJobRequest, VaceJobResult>(VaceJobOrchestrator.Name)
            .AddActivity<ProbeInputsActivity, IReadOnlyList<MediaReference>, IReadOnlyList<string>>(ProbeInputsActivity.Name)
            .AddActivity<AcquireSlotActivity, AcquireSlotActivity.Request, SlotGrant>(AcquireSlotActivity.Name)
            .AddActivity<ReleaseSlotActivity, string, bool>(ReleaseSlotActivity.Name)
            .AddActivity<SubmitTaskActivity, SubmitTaskActivity.Request, SubmitTaskActivity.Result>(SubmitTaskActivity.Name)
            .AddActivity<PollTaskActivity, string, PollTaskActivity.Result>(PollTaskActivity.Name)
            .AddActivity<CancelTaskActivity, string, bool>(CancelTaskActivity.Name)
            .AddActivity<CopyOutputActivity, CopyOutputActivity.Request, CopyOutputActivity.Result>(CopyOutputActivity.Name)
            .AddActivity<WriteManifestActivity, WriteManifestActivity.Request, string>(WriteManifestActivity.Name)
            .AddActivity<NotifyCallbackActivity, NotifyCallbackActivity.Request, int>(NotifyCallbackActivity.Name);
    }
}
