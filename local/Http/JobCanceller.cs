using VaceFunctions.Local.Durable;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Http;

/// <summary>
/// Cancels a job: ends its orchestration, cancels its DashScope task while that is still PENDING (the service
/// refuses later), and gives back its task slot at once.
/// </summary>
public sealed class JobCanceller(DurableClient client, DashScopeClient dashScope, AdmissionSlots slots)
{
    /// <summary>False when there is no such job or it has already ended.</summary>
    public async Task<bool> CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        var status = await client.GetStatusAsync(jobId, cancellationToken);
        if (status is null || !await client.TerminateAsync(jobId, "canceled by request", cancellationToken))
        {
            return false;
        }

        if (status.ReadCustomStatusAs<VaceJobStatus>()?.TaskId is { } taskId)
        {
            try
            {
                await dashScope.CancelAsync(taskId, cancellationToken);
            }
            catch (DashScopeException)
            {
                // Past PENDING the service cannot cancel; the task finishes and is simply not copied.
            }
        }

        await slots.ReleaseAsync(jobId, cancellationToken);
        return true;
    }
}
