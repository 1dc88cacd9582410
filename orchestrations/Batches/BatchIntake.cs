using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Orchestrations.Batches;

/// <summary>
/// Takes a batch file in (every host and way in): reads it with each line checked by <see cref="JobIntake.Check"/>,
/// stores its pages (<see cref="BatchStore"/>) and starts its <see cref="BatchOrchestrator"/> under
/// <see cref="BatchRequest.InstanceId"/> — a batch id seen before starts nothing new.
/// </summary>
public sealed class BatchIntake(
    DurableTaskClient client, JobIntake intake, BatchStore store, IOptions<BatchOptions> options, TimeProvider time)
{
    public BatchOptions Options => options.Value;

    /// <summary>
    /// Takes a batch file of the inbox (<c>{folder}/batch.jsonl</c>, both hosts' blob triggers): its first bytes, one
    /// more than a batch may have, as of <paramref name="ifMatch"/> when given; bare media names resolve in
    /// <paramref name="folder"/> when each line starts.
    /// </summary>
    public async Task<BatchSubmission> SubmitBatchFileAsync(
        BlobClient batchFile, string folder, ETag? ifMatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batchFile);
        var content = (await batchFile.DownloadContentAsync(
            new BlobDownloadOptions
            {
                Range = new HttpRange(0, options.Value.MaxBytes + 1),
                Conditions = ifMatch is { } etag ? new BlobRequestConditions { IfMatch = etag } : null,
            },
            cancellationToken)).Value.Content;
        return await SubmitAsync(content.ToMemory(), IntakeSource.Blob, cancellationToken, folder);
    }

    /// <summary>Takes a batch file in; <paramref name="inboxFolder"/> for a file of the inbox.</summary>
    public async Task<BatchSubmission> SubmitAsync(
        ReadOnlyMemory<byte> file, IntakeSource source, CancellationToken cancellationToken, string? inboxFolder = null)
    {
        var settings = options.Value;
        var document = BatchDocument.Read(
            file, settings, line => intake.Check(line, source), intake.ValidationOptions(source).AllowHttpCallbackUrls);
        if (document.Refused)
        {
            return new BatchSubmission(BatchSubmissionStatus.Refused, document);
        }

        var instanceId = BatchRequest.InstanceId(document.BatchId);

        // Its pages are written before it starts: a batch that exists keeps the pages it was started with.
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            return new BatchSubmission(BatchSubmissionStatus.Existing, document);
        }

        var pages = await store.WriteAsync(document, settings.PageSize, cancellationToken);
        var request = new BatchRequest
        {
            BatchId = document.BatchId,
            Source = source,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            Lines = document.Lines.Count,
            Rejected = document.RejectedCount,
            PageCount = pages,
            PagesPerExecution = settings.PagesPerExecution,
            FollowInterval = settings.FollowInterval,
            CallbackUrl = document.Envelope.CallbackUrl,
            InboxFolder = inboxFolder,
        };
        var start = new StartOrchestrationOptions(instanceId)
            .WithDedupeStatuses([.. StartOrchestrationOptionsExtensions.ValidDedupeStatuses]);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(BatchOrchestrator.Name, request, start, cancellationToken);
            return new BatchSubmission(BatchSubmissionStatus.Started, document);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return new BatchSubmission(BatchSubmissionStatus.Existing, document);
        }
    }
}
