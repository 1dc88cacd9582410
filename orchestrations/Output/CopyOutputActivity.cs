using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Workflow;
using Microsoft.DurableTask;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// Copies the result video from its expiring URL into the owned blob, streaming: blocks of 4 MB are staged as
/// they arrive, up to 4 uploading while the download goes on (bounded buffers, whatever the size), SHA-256 is computed on the way, and the size is checked
/// against Content-Length before the block list is committed with content type video/mp4 and metadata (job id,
/// task id, sha256, duration). The blob appears only at the commit, whole, so a retried copy never leaves a partial or
/// corrupt blob. The commit is If-None-Match: * (<see cref="OwnedBlobs"/>): a name that holds another job's blob is
/// never replaced; a copy the job already made (same job and task, after a crash or a duplicate delivery) is found
/// before downloading and returned as it is, even once the URL has expired. Block ids carry a tag of the job and task,
/// so two jobs copying to one name never mix their staged blocks. Outcomes that no retry changes come back as a
/// result with an <see cref="Result.ErrorCode"/> (an expected outcome travels as a record, not an exception):
/// 403/404/410 from the URL means it expired (<see cref="VaceJobErrorCodes.OutputExpired"/>); a video longer than
/// <see cref="WorkflowOptions.MaxDownloadBytes"/>, announced by Content-Length or not, is
/// <see cref="VaceJobErrorCodes.OutputTooLarge"/> (no more than the limit plus one byte is read); an address
/// <see cref="UrlGuard"/> refuses, on the URL or a redirect, is <see cref="VaceJobErrorCodes.OutputRefused"/>; a name
/// holding another job's video is <see cref="VaceJobErrorCodes.OutputConflict"/>. Other failures are thrown, for the
/// retry policy.
/// </summary>
[DurableTask(Name)]
public sealed class CopyOutputActivity(IHttpClientFactory httpClients, BlobServiceClient blobs, IOptions<WorkflowOptions> options, VaceTelemetry telemetry, TimeProvider time)
    : TaskActivity<CopyOutputActivity.Request, CopyOutputActivity.Result>
{
    public const string Name = "CopyOutput";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<Result> RunAsync(TaskActivityContext context, Request input) => RunAsync(input, CancellationToken.None);

    public const int BlockBytes = 4 * 1024 * 1024;

    /// <summary>Blocks uploading while the next is downloaded: enough to keep both streams busy, 16 MB of buffers.</summary>
    public const int StagesInFlight = 4;

    public async Task<Result> RunAsync(Request input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var span = telemetry.StartStep("vace.copy", input.JobId, input.TaskId);
        Result result;
        try
        {
            result = await CopyAsync(input, cancellationToken);
        }
        catch (HttpRequestException ex) when (UrlGuard.IsRefusal(ex))
        {
            result = Result.Failed(VaceJobErrorCodes.OutputRefused, $"The result's URL was not fetched: {ex.Message}");
        }

        span?.SetTag("vace.copy.bytes", result.Size);
        span?.SetTag(VaceTelemetry.ErrorTypeTag, result.ErrorCode);
        return result;
    }

    private async Task<Result> CopyAsync(Request input, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(input.Container);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var blob = container.GetBlockBlobClient(input.Blob);
        if (await OwnedBlobs.TryGetPropertiesAsync(blob, cancellationToken) is { } existing)
        {
            if (IsThisCopy(existing, input))
            {
                return Copied(blob, existing);
            }

            if (!OwnedBlobs.BelongsTo(existing.Metadata, input.JobId))
            {
                return Result.Failed(VaceJobErrorCodes.OutputConflict, OutputConflictException.Describe(input.Container, input.Blob, "output"));
            }
        }

        var started = time.GetTimestamp();
        var limit = options.Value.MaxDownloadBytes;
        using var response = await httpClients.CreateClient(ProbeInputsActivity.HttpClientName)
            .GetAsync(input.VideoUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return Result.Failed(VaceJobErrorCodes.OutputExpired, $"The result's URL answered HTTP {(int)response.StatusCode}: it has expired or no longer exists.");
        }

        response.EnsureSuccessStatusCode();
        var expected = response.Content.Headers.ContentLength;
        if (expected > limit)
        {
            return TooLarge(expected.Value, limit);
        }

        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var tag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{input.JobId}/{input.TaskId}")), 0, 8);
        var blockIds = new List<string>();
        var staging = new Queue<(Task Upload, byte[] Buffer)>();
        long total = 0;
        TimeSpan? duration = null;
        try
        {
            while (true)
            {
                // The download goes on while earlier blocks upload: at most StagesInFlight buffers, whatever the size.
                var buffer = staging.Count < StagesInFlight ? ArrayPool<byte>.Shared.Rent(BlockBytes) : await NextFreeAsync(staging);

                // One byte past the limit tells a body that is too long, whatever its Content-Length said.
                var filled = await FillAsync(source, buffer, (int)Math.Min(BlockBytes, limit + 1 - total), cancellationToken);
                if (filled == 0 || total + filled > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    if (filled == 0)
                    {
                        break;
                    }

                    return TooLarge(null, limit);
                }

                sha256.AppendData(buffer, 0, filled);
                if (blockIds.Count == 0)
                {
                    duration = Mp4Header.TryReadDuration(buffer.AsSpan(0, filled), 0, out _);
                }

                var blockId = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{tag}-{blockIds.Count.ToString("D8", CultureInfo.InvariantCulture)}"));
                staging.Enqueue((blob.StageBlockAsync(blockId, new MemoryStream(buffer, 0, filled, writable: false), cancellationToken: cancellationToken), buffer));
                blockIds.Add(blockId);
                total += filled;
            }

            while (staging.Count > 0)
            {
                ArrayPool<byte>.Shared.Return(await NextFreeAsync(staging));
            }
        }
        finally
        {
            // On failure the uploads still running are waited for (their failures are the one already thrown's
            // consequences) before their buffers go back to the pool.
            foreach (var (upload, buffer) in staging)
            {
                try
                {
                    await upload;
                }
                catch (Exception)
                {
                }

                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (expected is { } length && length != total)
        {
            throw new IOException($"The result video ended after {total} of {length} bytes.");
        }

        var hash = Convert.ToHexStringLower(sha256.GetHashAndReset());
        var metadata = OwnedBlobs.Metadata(input.JobId, OwnedBlobs.VideoKind);
        metadata[TaskIdKey] = input.TaskId;
        metadata[Sha256Key] = hash;
        if (duration is { } seconds)
        {
            metadata[DurationKey] = seconds.TotalSeconds.ToString("R", CultureInfo.InvariantCulture);
        }

        var kept = await OwnedBlobs.WriteAsync(
            blob,
            (conditions, ct) => blob.CommitBlockListAsync(
                blockIds,
                new CommitBlockListOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "video/mp4" }, Metadata = metadata, Conditions = conditions },
                ct),
            other => OwnedBlobs.BelongsTo(other.Metadata, input.JobId),
            cancellationToken);
        if (kept is not null)
        {
            return Result.Failed(VaceJobErrorCodes.OutputConflict, OutputConflictException.Describe(input.Container, input.Blob, "output"));
        }

        telemetry.Copied(total, time.GetElapsedTime(started));
        return new Result(blob.Uri.ToString(), total, hash, duration?.TotalSeconds);
    }

    /// <summary>The blocks staged so far stay uncommitted: the storage service discards them within a week.</summary>
    private static Result TooLarge(long? announced, long limit) => Result.Failed(
        VaceJobErrorCodes.OutputTooLarge,
        $"The result video is {(announced is { } size ? $"{size} bytes" : "longer than the limit")}; at most {limit} bytes are copied (Vace:MaxDownloadBytes).");

    private const string TaskIdKey = "taskid";
    private const string Sha256Key = "sha256";
    private const string DurationKey = "duration";

    /// <summary>A video this job committed for this task: the copy is done.</summary>
    private static bool IsThisCopy(BlobProperties blob, Request input) =>
        OwnedBlobs.BelongsTo(blob.Metadata, input.JobId, OwnedBlobs.VideoKind)
        && blob.Metadata.TryGetValue(TaskIdKey, out var taskId) && taskId == input.TaskId
        && blob.Metadata.ContainsKey(Sha256Key);

    private static Result Copied(BlockBlobClient blob, BlobProperties properties) => new(
        blob.Uri.ToString(),
        properties.ContentLength,
        properties.Metadata[Sha256Key],
        properties.Metadata.TryGetValue(DurationKey, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : null);

    /// <summary>Waits for the oldest block's upload and hands back its buffer.</summary>
    private static async Task<byte[]> NextFreeAsync(Queue<(Task Upload, byte[] Buffer)> staging)
    {
        var (upload, buffer) = staging.Peek();
        await upload;
        staging.Dequeue();
        return buffer;
    }

    private static async Task<int> FillAsync(Stream source, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < count)
        {
            var n = await source.ReadAsync(buffer.AsMemory(filled, count - filled), cancellationToken);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        return filled;
    }

    /// <param name="JobId">The job, recorded in the blob's metadata.</param>
    /// <param name="TaskId">The DashScope task, recorded in the blob's metadata.</param>
    /// <param name="VideoUrl">The signed, expiring result URL. Never logged.</param>
    /// <param name="Container">The output container.</param>
    /// <param name="Blob">The output blob name.</param>
    public sealed record Request(string JobId, string TaskId, string VideoUrl, string Container, string Blob);

    /// <summary>
    /// The owned blob (URL without SAS), its size, SHA-256 (hex) and the video's duration from its header; or, when
    /// no retry would copy it (expired, too large, refused, another job's name), the job's error code and why (and nothing else).
    /// </summary>
    public sealed record Result(string? BlobUrl, long Size, string? Sha256, double? DurationSeconds)
    {
        /// <summary>One of <see cref="VaceJobErrorCodes"/>: OutputExpired, OutputTooLarge, OutputRefused or OutputConflict.</summary>
        public string? ErrorCode { get; init; }

        public string? ErrorMessage { get; init; }

        public static Result Failed(string code, string message) => new(null, 0, null, null) { ErrorCode = code, ErrorMessage = message };
    }
}
