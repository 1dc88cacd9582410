using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Admission;

/// <summary>Gives back a job's task slot (or its place in line) and wakes the first jobs waiting for one.</summary>
/// <remarks>
/// The wake-up is <see cref="VaceJobOrchestrator.SlotFreedEvent"/> raised on each woken job's orchestration (the job id
/// is its instance id) through the task hub, so it reaches the job whichever host runs it. It is only a hint: a job
/// that misses it asks again when its timer fires.
/// </remarks>
[DurableTask(Name)]
public sealed partial class ReleaseSlotActivity(
    AdmissionSlots slots, DurableTaskClient client, VaceTelemetry telemetry, ILogger<ReleaseSlotActivity> logger) : TaskActivity<string, bool>
{
    public const string Name = "ReleaseSlot";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<bool> RunAsync(TaskActivityContext context, string input) => RunAsync(input, CancellationToken.None);

    public async Task<bool> RunAsync(string input, CancellationToken cancellationToken)
    {
        using var span = telemetry.StartStep("vace.release_slot", input);
        var release = await slots.GiveBackAsync(input, cancellationToken);
        foreach (var waiting in release.Wake)
        {
            try
            {
                await client.RaiseEventAsync(waiting, VaceJobOrchestrator.SlotFreedEvent, input, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The slot is free in storage whatever happens here: the job finds it at its next timed ask.
                Log.NotWoken(logger, waiting, ex.Message);
            }
        }

        span?.SetTag("vace.slot.woken", release.Wake.Count);
        return release.Held;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5100, Level = LogLevel.Warning, Message = "Job {JobId} could not be told that a task slot is free; it asks at its next timer: {Error}")]
        public static partial void NotWoken(ILogger logger, string jobId, string error);
    }
}
