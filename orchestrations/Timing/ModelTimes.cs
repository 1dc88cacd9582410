using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Timing;

/// <summary>The recent model times of tasks that succeeded, per kind of job, kept in the state container for every host.</summary>
/// <remarks>
/// One small blob per kind (<see cref="VaceJobRequest.ModelTimeKey"/>: model, function, size) under
/// <c>model-times/</c>, a JSON array of the last <see cref="JobSchedule.RecentCount"/> times in seconds, oldest
/// first; a recording replaces it If-Match the version read, so hosts recording at once keep each other's times.
/// </remarks>
public sealed class ModelTimes(BlobServiceClient blobs, IOptions<WorkflowOptions> options)
{
    public const string Prefix = "model-times/";

    private const int WriteAttempts = 10;

    private BlobContainerClient Container => blobs.GetBlobContainerClient(options.Value.StateContainer);

    /// <summary>The recent model times of <paramref name="key"/>'s kind, in seconds, oldest first; empty when none is known.</summary>
    public async Task<IReadOnlyList<double>> ReadAsync(string key, CancellationToken cancellationToken) =>
        (await ReadRecordAsync(key, cancellationToken)).Seconds;

    /// <summary>Adds a model time of <paramref name="key"/>'s kind, dropping the oldest beyond the bound.</summary>
    public async Task RecordAsync(string key, double seconds, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        for (var attempt = 1; ; attempt++)
        {
            var (times, etag) = await ReadRecordAsync(key, cancellationToken);
            var updated = times.Append(Math.Round(seconds, 3)).TakeLast(JobSchedule.RecentCount).ToArray();
            var conditions = etag is { } version ? new BlobRequestConditions { IfMatch = version } : new BlobRequestConditions { IfNoneMatch = ETag.All };
            try
            {
                await Container.GetBlobClient(Name(key)).UploadAsync(
                    BinaryData.FromObjectAsJson(updated), new BlobUploadOptions { Conditions = conditions }, cancellationToken);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < WriteAttempts)
            {
                // Another host recorded meanwhile: read its version and add to it, a moment later so that hosts
                // recording at once do not keep colliding.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(10, 50) * attempt), cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && attempt < WriteAttempts)
            {
                await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            }
        }
    }

    private static string Name(string key) => Prefix + Uri.EscapeDataString(key) + ".json";

    private async Task<(double[] Seconds, ETag? ETag)> ReadRecordAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var content = (await Container.GetBlobClient(Name(key)).DownloadContentAsync(cancellationToken)).Value;
            return (JsonSerializer.Deserialize<double[]>(content.Content.ToMemory().Span) ?? [], content.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return ([], null);
        }
        catch (JsonException)
        {
            // A damaged record is replaced by the next recording: it is only a hint for the schedule.
            return ([], null);
        }
    }
}
