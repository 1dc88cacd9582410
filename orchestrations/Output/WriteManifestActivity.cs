using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>Writes a job's <c>result.json</c>; returns its URL. Overwrites, so a retry writes the same file again.</summary>
public sealed class WriteManifestActivity(BlobServiceClient blobs) : IActivity<WriteManifestActivity.Request, string>
{
    public const string Name = "WriteManifest";

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
