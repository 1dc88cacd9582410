using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>
/// Starts the orchestration of a prepared job with its id as the instance id; each host implements it on its
/// durable engine (the embedded runtime here, Durable Functions in Azure). Starting a job whose instance already
/// exists starts nothing and reports the existing one.
/// </summary>
public interface IJobStarter
{
    Task<JobStartResult> StartAsync(VaceJobRequest request, CancellationToken cancellationToken);
}

/// <summary>The instance a start refers to, and whether this call created it.</summary>
public sealed record JobStartResult(string JobId, bool Created, string RuntimeStatus);
