using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.Timing;

/// <summary>Reads the recent model times of a kind of job, which the job's poll schedule is made from.</summary>
[DurableTask(Name)]
public sealed class RecentModelTimesActivity(ModelTimes times, VaceTelemetry telemetry) : TaskActivity<string, IReadOnlyList<double>>
{
    public const string Name = "RecentModelTimes";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<IReadOnlyList<double>> RunAsync(TaskActivityContext context, string input) => RunAsync(input, CancellationToken.None);

    public async Task<IReadOnlyList<double>> RunAsync(string input, CancellationToken cancellationToken)
    {
        using var span = telemetry.StartStep("vace.model_times");
        span?.SetTag("vace.model_times.key", input);
        var recent = await times.ReadAsync(input, cancellationToken);
        span?.SetTag("vace.model_times.count", recent.Count);
        return recent;
    }
}
