using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.Admission;

/// <summary>Asks once for a task slot; the orchestrator waits on a durable timer and asks again until granted.</summary>
[DurableTask(Name)]
public sealed class AcquireSlotActivity(AdmissionSlots slots, VaceTelemetry telemetry) : TaskActivity<AcquireSlotActivity.Request, SlotGrant>
{
    public const string Name = "AcquireSlot";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<SlotGrant> RunAsync(TaskActivityContext context, Request input) => RunAsync(input, CancellationToken.None);

    public async Task<SlotGrant> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var span = telemetry.StartStep("vace.acquire_slot", input.JobId);
        var grant = await slots.AcquireAsync(input.JobId, input.Lease, cancellationToken, input.InLine);
        span?.SetTag("vace.slot.granted", grant.Granted);
        span?.SetTag("vace.slot.position", grant.Position);
        return grant;
    }

    /// <param name="JobId">The job asking.</param>
    /// <param name="Lease">How long the slot is held if the job never gives it back (crash, termination).</param>
    /// <param name="InLine">The job was refused before: it has a place in line.</param>
    public sealed record Request(string JobId, TimeSpan Lease, bool InLine = false);
}
