using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.Admission;

/// <summary>Gives back a job's task slot (or its place in line).</summary>
[DurableTask(Name)]
public sealed class ReleaseSlotActivity(AdmissionSlots slots, VaceTelemetry telemetry) : TaskActivity<string, bool>
{
    public const string Name = "ReleaseSlot";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<bool> RunAsync(TaskActivityContext context, string input) => RunAsync(input, CancellationToken.None);

    public async Task<bool> RunAsync(string input, CancellationToken cancellationToken)
    {
        using var span = telemetry.StartStep("vace.release_slot", input);
        return await slots.ReleaseAsync(input, cancellationToken);
    }
}
