using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Functions;

/// <summary>
/// StartJobFromQueue: a job document in the <c>Vace__Queue__Name</c> queue (plain JSON or base64) starts its job,
/// the job id as instance id, so a duplicate delivery starts nothing. A document that can never run gets its
/// rejection record and goes straight to the poison queue, not retried; other failures throw, and the host retries
/// them up to host.json's <c>maxDequeueCount</c> before poisoning them.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Triggers are named for their source.")]
public sealed partial class StartJobFromQueue(IServiceProvider services, QueueServiceClient queues, IOptions<QueueIntakeOptions> options, ILogger<StartJobFromQueue> logger)
{
    [Function(nameof(StartJobFromQueue))]
    public async Task RunAsync(
        [QueueTrigger("%Vace__Queue__Name%", Connection = "AzureWebJobsStorage")] QueueMessage message,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        var intake = ActivatorUtilities.CreateInstance<JobIntake>(services, client);
        var outcome = await intake.SubmitAsync(QueuedDocument.Decode(message.Body), IntakeSource.Queue, context.CancellationToken);
        if (outcome.Status == IntakeStatus.Rejected)
        {
            Log.Rejected(logger, outcome.JobId, outcome.Errors.Count());
            var poison = queues.GetQueueClient(options.Value.PoisonName);
            await poison.CreateIfNotExistsAsync(cancellationToken: context.CancellationToken);
            await poison.SendMessageAsync(message.MessageText, context.CancellationToken);
            return;
        }

        Log.Accepted(logger, outcome.JobId, outcome.Status);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6500, Level = LogLevel.Information, Message = "Queued job {JobId}: {Status}")]
        public static partial void Accepted(ILogger logger, string jobId, IntakeStatus status);

        [LoggerMessage(EventId = 6501, Level = LogLevel.Warning, Message = "Queued job {JobId} rejected with {ErrorCount} errors; the message went to the poison queue and result.json says why")]
        public static partial void Rejected(ILogger logger, string jobId, int errorCount);
    }
}
