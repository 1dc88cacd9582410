using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Functions;

/// <summary>
/// StartJobFromBlob: a <c>{folder}/job.json</c> uploaded into the inbox container (<c>Vace__Inbox__Container</c>)
/// starts its job, its relative media resolved to read-only SAS URLs of the blobs beside it (missing ones reject
/// the job with a record naming them). Event Grid delivers the BlobCreated events (required on Flex Consumption;
/// infra/ creates the subscription). On a plan that polls, drop <c>Source = BlobTriggerSource.EventGrid</c>.
/// </summary>
public sealed partial class StartJobFromBlob(IServiceProvider services, IOptions<InboxOptions> options, BlobReadUrls urls, TimeProvider time, ILogger<StartJobFromBlob> logger)
{
    [Function(nameof(StartJobFromBlob))]
    public async Task RunAsync(
        [BlobTrigger("%Vace__Inbox__Container%/{folder}/job.json", Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient jobFile,
        string folder,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(jobFile);
        // One byte past the limit is enough for intake to reject an oversized document without reading it all.
        var document = (await jobFile.DownloadContentAsync(
            new BlobDownloadOptions { Range = new HttpRange(0, JobDocumentReader.MaxDocumentBytes + 1) }, context.CancellationToken)).Value.Content;
        var intake = ActivatorUtilities.CreateInstance<JobIntake>(services, client);
        var resolver = new BlobMediaResolver(jobFile.GetParentBlobContainerClient(), folder, time.GetUtcNow() + options.Value.MediaUrlLifetime, urls);
        var outcome = await intake.SubmitAsync(document.ToMemory(), IntakeSource.Blob, context.CancellationToken, resolver.ResolveAsync);
        Log.Taken(logger, jobFile.Name, outcome.JobId, outcome.Status);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6110, Level = LogLevel.Information, Message = "Job file {Blob} taken as job {JobId}: {Status}")]
        public static partial void Taken(ILogger logger, string blob, string jobId, IntakeStatus status);
    }
}
