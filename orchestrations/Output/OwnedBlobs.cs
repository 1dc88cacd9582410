using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// Writes under a job's name without ever replacing another job's blob. Every blob a job writes (video, manifest,
/// rejection record) carries its job id (<c>jobid</c>) and kind (<c>kind</c>) in its metadata, and a run's video and
/// manifest its run (<c>runid</c>): a job started again under an id used before is another run, which owns none of
/// the earlier run's blobs (<see cref="BelongsToRun"/>). A write first creates
/// the blob with If-None-Match: *; when the name is taken it looks at the blob there and replaces it only when the
/// caller accepts it as its own, with If-Match: that blob's ETag, so nothing written in between is lost.
/// </summary>
public static class OwnedBlobs
{
    public const string JobIdKey = "jobid";
    public const string KindKey = "kind";
    public const string RunIdKey = "runid";
    public const string VideoKind = "video";
    public const string ManifestKind = "manifest";
    public const string RejectionKind = "rejection";

    // Each round trip is a create or a replace that lost a race; a name fought over this often is reported as the error it gives.
    private const int MaxAttempts = 4;

    /// <summary>The metadata that marks a blob as a job's (and, when given, its run's).</summary>
    public static Dictionary<string, string> Metadata(string jobId, string kind, string? runId = null)
    {
        var metadata = new Dictionary<string, string> { [JobIdKey] = jobId, [KindKey] = kind };
        if (runId is not null)
        {
            metadata[RunIdKey] = runId;
        }

        return metadata;
    }

    /// <summary>
    /// True when <paramref name="metadata"/> marks a blob as written by run <paramref name="runId"/> of
    /// <paramref name="jobId"/> (of <paramref name="kind"/>, when given). A run of null (a job started before runs
    /// were recorded) owns every blob of its job id, as before.
    /// </summary>
    public static bool BelongsToRun(IDictionary<string, string> metadata, string jobId, string? runId, string? kind = null) =>
        BelongsTo(metadata, jobId, kind)
        && (runId is null || (metadata.TryGetValue(RunIdKey, out var owner) && owner == runId));

    /// <summary>True when <paramref name="metadata"/> marks a blob as <paramref name="jobId"/>'s (of <paramref name="kind"/>, when given).</summary>
    public static bool BelongsTo(IDictionary<string, string> metadata, string jobId, string? kind = null)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.TryGetValue(JobIdKey, out var owner) && owner == jobId
            && (kind is null || (metadata.TryGetValue(KindKey, out var actual) && actual == kind));
    }

    /// <summary>
    /// Runs <paramref name="write"/> (an upload or block list commit that honours the conditions it is given) so it
    /// creates the blob, or replaces one that <paramref name="mayReplace"/> accepts. Returns null when written, else
    /// the properties of the blob that was left in place. <paramref name="replacing"/> (or null to create) is the ETag of
    /// a blob the caller has already read and accepts, replaced at the first attempt: a streamed upload can send its body only once, so
    /// it must not spend it on a create that is bound to fail.
    /// </summary>
    public static async Task<BlobProperties?> WriteAsync(
        BlobBaseClient blob,
        Func<BlobRequestConditions, CancellationToken, Task> write,
        Func<BlobProperties, bool> mayReplace,
        ETag? replacing,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(mayReplace);
        var conditions = replacing is { } etag ? new BlobRequestConditions { IfMatch = etag } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write(conditions, cancellationToken);
                return null;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Taken (409), or changed since it was read (412): see who holds the name now.
            }

            BlobProperties existing;
            try
            {
                existing = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
                continue;
            }

            if (!mayReplace(existing))
            {
                return existing;
            }

            conditions = new BlobRequestConditions { IfMatch = existing.ETag };
        }
    }

    /// <summary>
    /// Uploads a JSON record (a manifest or a rejection) of <paramref name="jobId"/> as <see cref="WriteAsync"/> does,
    /// marked with its job and <paramref name="kind"/>. Returns null when written, else the blob left in place.
    /// </summary>
    public static Task<BlobProperties?> WriteJsonAsync(
        BlobClient blob, BinaryData json, string jobId, string kind, string? runId, Func<BlobProperties, bool> mayReplace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        return WriteAsync(
            blob,
            (conditions, ct) => blob.UploadAsync(
                json,
                new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    Metadata = Metadata(jobId, kind, runId),
                    Conditions = conditions,
                },
                ct),
            mayReplace,
            replacing: null,
            cancellationToken);
    }

    /// <summary>The blob's properties, or null when there is no such blob.</summary>
    public static async Task<BlobProperties?> TryGetPropertiesAsync(BlobBaseClient blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        try
        {
            return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}
