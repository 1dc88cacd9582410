using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.Timing;

/// <summary>Records how long a task that succeeded took, for the poll schedules of later jobs of its kind.</summary>
[DurableTask(Name)]
public sealed class RecordModelTimeActivity(ModelTimes times, VaceTelemetry telemetry) : TaskActivity<RecordModelTimeActivity.Request, bool>
{
    public const string Name = "RecordModelTime";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<bool> RunAsync(TaskActivityContext context, Request input) => RunAsync(input, CancellationToken.None);

    public async Task<bool> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var span = telemetry.StartStep("vace.record_model_time");
        span?.SetTag("vace.model_times.key", input.Key);
        await times.RecordAsync(input.Key, input.Seconds, cancellationToken);
        return true;
    }

    /// <param name="Key">The kind of job (<see cref="Workflow.VaceJobRequest.ModelTimeKey"/>).</param>
    /// <param name="Seconds">From the task's submission to its end.</param>
    public sealed record Request(string Key, double Seconds);
}
