using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>
/// Asks a job to stop: raises <see cref="VaceJobOrchestrator.CancelEvent"/> on its instance. The orchestrator ends
/// the job as Canceled at its next wait, cancelling its DashScope task while the service still allows it and giving
/// back its slot; a job already copying its output finishes.
/// </summary>
public sealed class JobCanceller(DurableTaskClient client)
{
    /// <summary>False when there is no such job or it has already ended.</summary>
    public async Task<bool> CancelAsync(string jobId, string reason, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(jobId, getInputsAndOutputs: false, cancellationToken);
        if (instance is null || instance.IsCompleted)
        {
            return false;
        }

        await client.RaiseEventAsync(jobId, VaceJobOrchestrator.CancelEvent, reason, cancellationToken);
        return true;
    }
}
