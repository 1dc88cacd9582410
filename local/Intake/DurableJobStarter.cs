using VaceFunctions.Local.Durable;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Intake;

/// <summary>Starts VACE jobs on the embedded durable runtime, the job id as instance id.</summary>
public sealed class DurableJobStarter(DurableClient client) : IJobStarter
{
    public async Task<JobStartResult> StartAsync(VaceJobRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = await client.StartAsync(VaceJobOrchestrator.Name, request.JobId, request, cancellationToken);
        return new JobStartResult(started.InstanceId, started.Created, started.RuntimeStatus.ToString());
    }
}
