using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VaceFunctions.Orchestrations.Batches;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Functions;

/// <summary>
/// StartBatchFromBlob: a <c>{folder}/batch.jsonl</c> uploaded into the inbox container starts its batch, bare media
/// names resolving beside it as for <c>job.json</c> (docs/batches.md); Event Grid delivers the events, as for
/// <see cref="StartJobFromBlob"/>.
/// </summary>
public sealed partial class StartBatchFromBlob(IServiceProvider services, ILogger<StartBatchFromBlob> logger)
{
    [Function(nameof(StartBatchFromBlob))]
    public async Task RunAsync(
        [BlobTrigger("%Vace__Inbox__Container%/{folder}/batch.jsonl", Source = BlobTriggerSource.EventGrid,
            Connection = "AzureWebJobsStorage")] BlobClient batchFile,
        string folder,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(batchFile);
        ArgumentNullException.ThrowIfNull(context);
        var intake = ActivatorUtilities.CreateInstance<BatchIntake>(
            services, client, ActivatorUtilities.CreateInstance<JobIntake>(services, client));
        var submission = await intake.SubmitBatchFileAsync(batchFile, folder, ifMatch: null, context.CancellationToken);
        var status = submission.Document.Refusal ?? submission.Status.ToString();
        Log.Taken(logger, batchFile.Name, submission.Document.BatchId, status);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6511, Level = LogLevel.Information, Message = "Batch file {Blob} taken as batch {BatchId}: {Status}")]
        public static partial void Taken(ILogger logger, string blob, string batchId, string status);
    }
}
