using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Operations;

namespace VaceFunctions.Functions;

/// <summary>
/// PurgeFinishedInstances: hourly (at minute 17), purges the finished instances older than <c>Vace__Retention</c>
/// (default 30 days) with their history — the shared <see cref="InstanceRetention"/>. Outputs, manifests and rejection
/// records stay.
/// </summary>
public sealed class PurgeFinishedInstances(InstanceRetention retention)
{
    [Function(nameof(PurgeFinishedInstances))]
    public Task RunAsync([TimerTrigger("0 17 * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return retention.PurgeAsync(client, context.CancellationToken);
    }
}
