using Microsoft.DurableTask;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>Cancels a task if it is still PENDING; false when the service refuses (it is already running or done).</summary>
[DurableTask(Name)]
public sealed class CancelTaskActivity(DashScopeClient client, VaceTelemetry telemetry) : TaskActivity<string, bool>
{
    public const string Name = "CancelTask";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<bool> RunAsync(TaskActivityContext context, string input) => RunAsync(input, CancellationToken.None);

    public async Task<bool> RunAsync(string input, CancellationToken cancellationToken)
    {
        using var span = telemetry.StartStep("vace.cancel_task", taskId: input);
        try
        {
            await client.CancelAsync(input, cancellationToken);
            return true;
        }
        catch (DashScopeException ex) when (ex.Code == DashScopeErrorCodes.UnsupportedOperation)
        {
            return false;
        }
    }
}
