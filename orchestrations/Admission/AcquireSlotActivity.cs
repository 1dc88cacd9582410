using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Orchestrations.Admission;

/// <summary>Asks once for a task slot; the orchestrator waits on a durable timer and asks again until granted.</summary>
public sealed class AcquireSlotActivity(AdmissionSlots slots) : IActivity<AcquireSlotActivity.Request, SlotGrant>
{
    public const string Name = "AcquireSlot";

    public Task<SlotGrant> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return slots.AcquireAsync(input.JobId, input.Lease, cancellationToken);
    }

    /// <param name="JobId">The job asking.</param>
    /// <param name="Lease">How long the slot is held if the job never gives it back (crash, termination).</param>
    public sealed record Request(string JobId, TimeSpan Lease);
}
