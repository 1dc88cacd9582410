using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Batches;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Intake;

/// <summary>
/// StartJobFromBlob: watches the <c>vace-inbox</c> container for <c>{folder}/job.json</c> files and takes each into
/// intake once, its relative media resolved to SAS URLs of the blobs beside it. "Once" is kept by a receipt per
/// job file and ETag (<c>{state container}/inbox-receipts/…</c>), claimed atomically, so several host processes
/// and restarts never take a file twice; re-uploading a changed job.json is a new file. Azurite has no Event Grid,
/// so new files are found by listing the container; on Azure, an Event Grid subscription does this (see README).
/// A <c>{folder}/batch.jsonl</c> is taken the same way, as a batch (<see cref="BatchIntake"/>, docs/batches.md).
/// </summary>
public sealed partial class StartJobFromBlob(
    BlobServiceClient blobs,
    JobIntake intake,
    BatchIntake batches,
    IOptions<InboxOptions> options,
    IOptions<WorkflowOptions> workflow,
    TimeProvider time,
    ILogger<StartJobFromBlob> logger) : BackgroundService
{
    public const string JobFileName = "job.json";

    public const string BatchFileName = "batch.jsonl";

    private readonly InboxOptions _options = options.Value;
    private readonly HashSet<string> _done = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var inbox = blobs.GetBlobContainerClient(_options.Container);
        var state = blobs.GetBlobContainerClient(workflow.Value.StateContainer);
        await inbox.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        await state.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ScanAsync(inbox, state, stoppingToken);
                await Task.Delay(_options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ScanFailed(logger, _options.Container, ex);
                await Task.Delay(_options.PollInterval, stoppingToken);
            }
        }
    }

    private async Task ScanAsync(BlobContainerClient inbox, BlobContainerClient state, CancellationToken cancellationToken)
    {
        await foreach (var item in inbox.GetBlobsAsync(cancellationToken: cancellationToken))
        {
            if (FileName(item.Name) is null)
            {
                continue;
            }

            var key = ReceiptName(item.Name, item.Properties.ETag!.Value);
            if (!_done.Contains(key))
            {
                await TakeAsync(inbox, state.GetBlobClient(key), item, cancellationToken);
            }
        }
    }

    private async Task TakeAsync(BlobContainerClient inbox, BlobClient receiptBlob, BlobItem item, CancellationToken cancellationToken)
    {
        if (await ClaimAsync(receiptBlob, cancellationToken) is not { } receipt)
        {
            return;
        }

        var fileName = FileName(item.Name)!;
        var folder = item.Name.Length > fileName.Length ? item.Name[..^(fileName.Length + 1)] : "";
        try
        {
            string id, status;
            if (fileName == BatchFileName)
            {
                var submission = await batches.SubmitBatchFileAsync(inbox.GetBlobClient(item.Name), folder, item.Properties.ETag, cancellationToken);
                (id, status) = (submission.Document.BatchId, submission.Document.Refusal ?? submission.Status.ToString());
                Log.BatchTaken(logger, item.Name, id, status);
            }
            else
            {
                var outcome = await intake.SubmitJobFileAsync(inbox.GetBlobClient(item.Name), folder, item.Properties.ETag, cancellationToken);
                (id, status) = (outcome.JobId, outcome.Status.ToString());
                Log.Taken(logger, item.Name, outcome.JobId, outcome.Status);
            }

            await receiptBlob.UploadAsync(BinaryData.FromObjectAsJson(receipt with { State = "done", JobId = id, Outcome = status }), overwrite: true, cancellationToken);
            _done.Add(receiptBlob.Name);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // The file changed or vanished since it was listed: its new version is another file.
            _done.Add(receiptBlob.Name);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.TakeFailed(logger, item.Name, receipt.Attempts, ex);
            if (receipt.Attempts >= _options.MaxAttempts)
            {
                _done.Add(receiptBlob.Name);
            }
        }
    }

    /// <summary>
    /// Claims a job file: creates its receipt, or takes over one whose claim went stale (a crash mid-intake).
    /// Null when the file is done or another process holds a fresh claim.
    /// </summary>
    private async Task<Receipt?> ClaimAsync(BlobClient receiptBlob, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            var existing = await receiptBlob.DownloadContentAsync(cancellationToken);
            var receipt = existing.Value.Content.ToObjectFromJson<Receipt>()!;
            if (receipt.State == "done" || (now - receipt.ClaimedAt < _options.ClaimTimeout) || receipt.Attempts >= _options.MaxAttempts)
            {
                if (receipt.State == "done")
                {
                    _done.Add(receiptBlob.Name);
                }

                return null;
            }

            var retry = receipt with { ClaimedAt = now, Attempts = receipt.Attempts + 1 };
            await receiptBlob.UploadAsync(BinaryData.FromObjectAsJson(retry), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = existing.Value.Details.ETag } }, cancellationToken);
            return retry;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            var fresh = new Receipt("claimed", now, 1, null, null);
            try
            {
                await receiptBlob.UploadAsync(BinaryData.FromObjectAsJson(fresh), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
                return fresh;
            }
            catch (RequestFailedException conflict) when (conflict.Status is 409 or 412)
            {
                return null;
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return null;
        }
    }

    /// <summary>The intake file a blob name ends in (<c>job.json</c> or <c>batch.jsonl</c>), or null.</summary>
    private static string? FileName(string name) => new[] { JobFileName, BatchFileName }
        .FirstOrDefault(f => name == f || name.EndsWith("/" + f, StringComparison.Ordinal));

    private static string ReceiptName(string name, ETag etag) =>
        "inbox-receipts/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\n{etag}"))) + ".json";

    private sealed record Receipt(string State, DateTime ClaimedAt, int Attempts, string? JobId, string? Outcome);

    private static partial class Log
    {
        [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "Job file {Blob} taken as job {JobId}: {Status}")]
        public static partial void Taken(ILogger logger, string blob, string jobId, IntakeStatus status);

        [LoggerMessage(EventId = 6101, Level = LogLevel.Error, Message = "Job file {Blob} failed (attempt {Attempt})")]
        public static partial void TakeFailed(ILogger logger, string blob, int attempt, Exception exception);

        [LoggerMessage(EventId = 6103, Level = LogLevel.Information, Message = "Batch file {Blob} taken as batch {BatchId}: {Status}")]
        public static partial void BatchTaken(ILogger logger, string blob, string batchId, string status);

        [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "Scanning container {Container} failed")]
        public static partial void ScanFailed(ILogger logger, string container, Exception exception);
    }
}
