using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Operations;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Operations;

/// <summary>
/// The local host's scheduled retention: at start and then every <see cref="WorkflowOptions.RetentionInterval"/>, purges
/// the finished instances older than <see cref="WorkflowOptions.Retention"/> (<see cref="InstanceRetention"/>). Several
/// hosts on one hub each do it; a purge is idempotent.
/// </summary>
public sealed partial class InstanceRetentionService(
    DurableTaskClient client, InstanceRetention retention, IOptions<WorkflowOptions> options, TimeProvider time, ILogger<InstanceRetentionService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RetentionInterval, time);
        do
        {
            try
            {
                await retention.PurgeAsync(client, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.PurgeFailed(logger, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 8001, Level = LogLevel.Error, Message = "Retention: purging finished instances failed; trying again at the next interval")]
        public static partial void PurgeFailed(ILogger logger, Exception exception);
    }
}
