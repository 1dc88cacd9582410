using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Orchestrations.Admission;

/// <summary>Gives back a job's task slot (or its place in line).</summary>
public sealed class ReleaseSlotActivity(AdmissionSlots slots) : IActivity<string, bool>
{
    public const string Name = "ReleaseSlot";

    public Task<bool> RunAsync(string input, CancellationToken cancellationToken) => slots.ReleaseAsync(input, cancellationToken);
}
