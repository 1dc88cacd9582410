using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.DurableTask;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// Writes a job's <c>result.json</c>; returns its URL. The manifest is created with If-None-Match: * and replaces only
/// a record of the same job (<see cref="OwnedBlobs"/>): its own earlier manifest (a retry, or the rewrite after a
/// failed callback) or a rejection record filed under its id before a corrected document ran. A name that holds
/// another job's blob throws <see cref="OutputConflictException"/>, which is not retried.
/// </summary>
[DurableTask(Name)]
public sealed class WriteManifestActivity(BlobServiceClient blobs) : TaskActivity<WriteManifestActivity.Request, string>
{
    public const string Name = "WriteManifest";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<string> RunAsync(TaskActivityContext context, Request input) => RunAsync(input, CancellationToken.None);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<string> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var container = blobs.GetBlobContainerClient(input.Container);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var blob = container.GetBlobClient(input.Blob);
        var jobId = input.Manifest.JobId;
        var kept = await OwnedBlobs.WriteJsonAsync(
            blob,
            BinaryData.FromObjectAsJson(input.Manifest, JsonOptions),
            jobId,
            OwnedBlobs.ManifestKind,
            other => OwnedBlobs.BelongsTo(other.Metadata, jobId) && !OwnedBlobs.BelongsTo(other.Metadata, jobId, OwnedBlobs.VideoKind),
            cancellationToken);
        if (kept is not null)
        {
            throw new OutputConflictException(OutputConflictException.Describe(input.Container, input.Blob, "record"));
        }

        return blob.Uri.ToString();
    }

    public sealed record Request(string Container, string Blob, VaceJobManifest Manifest);
}
