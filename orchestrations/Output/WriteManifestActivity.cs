using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>Writes a job's <c>result.json</c>; returns its URL. Overwrites, so a retry writes the same file again.</summary>
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
        await blob.UploadAsync(
            BinaryData.FromObjectAsJson(input.Manifest, JsonOptions),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
            cancellationToken);
        return blob.Uri.ToString();
    }

    public sealed record Request(string Container, string Blob, VaceJobManifest Manifest);
}
