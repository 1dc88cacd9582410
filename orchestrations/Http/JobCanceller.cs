using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>
/// Asks a job to stop: raises <see cref="VaceJobOrchestrator.CancelEvent"/> on its instance. The orchestrator ends
/// the job as Canceled at its next wait, cancelling its DashScope task while the service still allows it and giving
/// back its slot; a job already copying its output finishes. A job that has reported its outcome already and only
/// follows a billed task it could not cancel counts as ended.
/// </summary>
public sealed class JobCanceller(DurableTaskClient client)
{
    /// <summary>False when there is no such job or it has already ended.</summary>
    public async Task<bool> CancelAsync(string jobId, string reason, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(jobId, getInputsAndOutputs: true, cancellationToken);
        if (instance is null || instance.IsCompleted || JobStatusView.ProgressOf(instance)?.Outcome is not null)
        {
            return false;
        }

        await client.RaiseEventAsync(jobId, VaceJobOrchestrator.CancelEvent, reason, cancellationToken);
        return true;
    }
}
