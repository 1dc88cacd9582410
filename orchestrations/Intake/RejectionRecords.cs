using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Intake;

/// <summary>Reads the rejection records <see cref="JobIntake"/> files for documents that can never run.</summary>
public static class RejectionRecords
{
    /// <summary>More than any record of a document intake reads (256 KB) needs; a larger blob is not a rejection record.</summary>
    private const int MaxRecordBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The rejection record filed for <paramref name="jobId"/> in the output container <paramref name="outputs"/>; null
    /// when there is none — also when that name holds a job's own record or a blob intake did not write.
    /// </summary>
    public static async Task<JobIntake.RejectionRecord?> ReadAsync(BlobContainerClient outputs, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        BlobDownloadResult content;
        try
        {
            content = (await outputs.GetBlobClient($"{jobId}/{StorageNames.ManifestName}")
                .DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(0, MaxRecordBytes) }, cancellationToken)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }

        if (!OwnedBlobs.BelongsTo(content.Details.Metadata, jobId, OwnedBlobs.RejectionKind))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<JobIntake.RejectionRecord>(content.Content, WorkflowJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
