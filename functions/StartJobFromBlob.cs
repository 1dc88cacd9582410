using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Functions;

/// <summary>
/// StartJobFromBlob: a <c>{folder}/job.json</c> uploaded into the inbox container (<c>Vace__Inbox__Container</c>)
/// starts its job, its relative media resolved to read-only SAS URLs of the blobs beside it (missing ones reject
/// the job with a record naming them). Event Grid delivers the BlobCreated events (required on Flex Consumption;
/// infra/ creates the subscription). On a plan that polls, drop <c>Source = BlobTriggerSource.EventGrid</c>.
/// </summary>
public sealed partial class StartJobFromBlob(IServiceProvider services, ILogger<StartJobFromBlob> logger)
{
    [Function(nameof(StartJobFromBlob))]
    public async Task RunAsync(
        [BlobTrigger("%Vace__Inbox__Container%/{folder}/job.json", Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient jobFile,
        string folder,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(jobFile);
        var intake = ActivatorUtilities.CreateInstance<JobIntake>(services, client);
        var outcome = await intake.SubmitJobFileAsync(jobFile, folder, ifMatch: null, context.CancellationToken);
        Log.Taken(logger, jobFile.Name, outcome.JobId, outcome.Status);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6510, Level = LogLevel.Information, Message = "Job file {Blob} taken as job {JobId}: {Status}")]
        public static partial void Taken(ILogger logger, string blob, string jobId, IntakeStatus status);
    }
}
