using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Telemetry;
using VaceFunctions.Orchestrations.Workflow;
using Microsoft.DurableTask;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// Copies the result video from its expiring URL into the owned blob, streaming, with bounded buffers whatever the
/// size, and SHA-256 computed on the way. A download that announces its Content-Length (up to
/// <see cref="MaxPutBlobBytes"/>) goes up as one Put Blob of that length, straight from the response body: one write
/// transaction, as fast as a plain pipe; the SHA-256, known once the body is sent, then goes into the metadata (Set
/// Blob Metadata on the ETag the upload returned). A body that ends early fails the upload, so the service keeps no
/// blob; a blob whose metadata lacks the SHA-256 (a crash between the two requests) is not a finished copy and is
/// copied again. A download without a length (chunked) is staged in 4 MB blocks, up to 4 uploading while the download
/// goes on, and committed with its SHA-256 once the size is known. The write is If-None-Match: *, or If-Match on an
/// earlier attempt of this job found at the name (<see cref="OwnedBlobs"/>): a name that holds another job's blob (or an earlier run's under the same id) is
/// never replaced; a copy the job already made (same job and task, with its SHA-256, after a crash or a duplicate
/// delivery) is found before downloading and returned as it is, even once the URL has expired. The URL is asked of the
/// service (GET /tasks/{id}) by each attempt, just before it downloads, and kept nowhere: a signed URL is never an
/// activity's input or output, which the task hub would keep in its history. Block ids carry a tag
/// of the job and task, so two jobs copying to one name never mix their staged blocks. Outcomes that no retry changes come back as a
/// result with an <see cref="Result.ErrorCode"/> (an expected outcome travels as a record, not an exception):
/// 403/404/410 from the URL, or a task the service no longer gives a URL for, means it expired
/// (<see cref="VaceJobErrorCodes.OutputExpired"/>); a permanent refusal of the service to read the task is
/// <see cref="VaceJobErrorCodes.StepFailed"/>; a video longer than
/// <see cref="WorkflowOptions.MaxDownloadBytes"/>, announced by Content-Length or not, is
/// <see cref="VaceJobErrorCodes.OutputTooLarge"/> (no more than the limit plus one byte is read); an address
/// <see cref="UrlGuard"/> refuses, on the URL or a redirect, is <see cref="VaceJobErrorCodes.OutputRefused"/>; a name
/// holding another job's video is <see cref="VaceJobErrorCodes.OutputConflict"/>. Other failures are thrown, for the
/// retry policy — among them a download on which no byte arrives for <see cref="WorkflowOptions.DownloadStallTimeout"/>
/// (<see cref="StallTimeoutStream"/>).
/// </summary>
[DurableTask(Name)]
public sealed class CopyOutputActivity(
    DashScopeClient dashScope,
    IHttpClientFactory httpClients,
    BlobServiceClient blobs,
    IOptions<WorkflowOptions> options,
    VaceTelemetry telemetry,
    TimeProvider time)
    : TaskActivity<CopyOutputActivity.Request, CopyOutputActivity.Result>
{
    public const string Name = "CopyOutput";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<Result> RunAsync(TaskActivityContext context, Request input) => RunAsync(input, CancellationToken.None);

    public const int BlockBytes = 4 * 1024 * 1024;

    /// <summary>Blocks uploading while the next is downloaded: enough to keep both streams busy, 16 MB of buffers.</summary>
    public const int StagesInFlight = 4;

    public Task<Result> RunAsync(Request input, CancellationToken cancellationToken) =>
        RunAsync(input, videoUrl: null, cancellationToken);

    /// <summary>Copies from <paramref name="videoUrl"/>, or (null) from the URL the service gives the task now.</summary>
    internal async Task<Result> RunAsync(Request input, string? videoUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var span = telemetry.StartStep("vace.copy", input.JobId, input.TaskId);
        Result result;
        try
        {
            result = await CopyAsync(input, videoUrl, cancellationToken);
        }
        catch (HttpRequestException ex) when (UrlGuard.IsRefusal(ex))
        {
            result = Result.Failed(VaceJobErrorCodes.OutputRefused, $"The result's URL was not fetched: {ex.Message}");
        }

        span?.SetTag("vace.copy.bytes", result.Size);
        span?.SetTag(VaceTelemetry.ErrorTypeTag, result.ErrorCode);
        return result;
    }

    private async Task<Result> CopyAsync(Request input, string? videoUrl, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(input.Container);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var blob = container.GetBlockBlobClient(input.Blob);
        var existing = await OwnedBlobs.TryGetPropertiesAsync(blob, cancellationToken);
        if (existing is not null)
        {
            if (IsThisCopy(existing, input))
            {
                return Copied(blob, existing);
            }

            if (!OwnedBlobs.BelongsToRun(existing.Metadata, input.JobId, input.RunId))
            {
                return Result.Failed(VaceJobErrorCodes.OutputConflict, OutputConflictException.Describe(input.Container, input.Blob, "output"));
            }
        }

        if (videoUrl is null)
        {
            var (url, failure) = await VideoUrlAsync(input.TaskId, cancellationToken);
            if (url is null)
            {
                return failure!;
            }

            videoUrl = url;
        }

        var started = time.GetTimestamp();
        var limit = options.Value.MaxDownloadBytes;
        using var response = await httpClients.CreateClient(ProbeInputsActivity.HttpClientName)
            .GetAsync(videoUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
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

        // The copy may take as long as the video needs, but a download on which nothing arrives for the stall window
        // is cut and retried (CopyRetry): a server that stops sending would otherwise hold the activity for good.
        await using var source = new StallTimeoutStream(
            await response.Content.ReadAsStreamAsync(cancellationToken), options.Value.DownloadStallTimeout, time);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var metadata = OwnedBlobs.Metadata(input.JobId, OwnedBlobs.VideoKind, input.RunId);
        metadata[TaskIdKey] = input.TaskId;
        var target = new Target(blob, metadata, sha256, existing?.ETag, other => OwnedBlobs.BelongsToRun(other.Metadata, input.JobId, input.RunId));
        var written = expected is { } length and <= MaxPutBlobBytes
            ? await PutAsync(target, source, length, limit, cancellationToken)
            : await StageAsync(target, source, expected, limit, Tag(input), cancellationToken);
        if (written is null)
        {
            return TooLarge(null, limit);
        }

        if (written.Kept)
        {
            return Result.Failed(VaceJobErrorCodes.OutputConflict, OutputConflictException.Describe(input.Container, input.Blob, "output"));
        }

        telemetry.Copied(written.Size, time.GetElapsedTime(started));
        return new Result(blob.Uri.ToString(), written.Size, metadata[Sha256Key], written.Duration?.TotalSeconds);
    }

    /// <summary>
    /// The task's signed video URL as the service gives it now, or why there is none. A passing outage is thrown, for
    /// the retry policy: the next attempt asks again, and gets a URL that may have changed meanwhile.
    /// </summary>
    private async Task<(string? Url, Result? Failure)> VideoUrlAsync(string taskId, CancellationToken cancellationToken)
    {
        DashScopeTaskResponse task;
        try
        {
            task = await dashScope.GetTaskAsync(taskId, cancellationToken);
        }
        catch (DashScopeException ex) when (!ex.IsRetryable)
        {
            return (null, Result.Failed(
                VaceJobErrorCodes.StepFailed,
                $"DashScope refused to read the task, so its video's URL is not known: {ex.Code}: {ex.ServiceMessage}"));
        }

        var output = task.Output!;
        return output is { Status: DashScopeTaskStatus.Succeeded, VideoUrl: { Length: > 0 } url }
            ? (url, null)
            : (null, Result.Failed(
                VaceJobErrorCodes.OutputExpired,
                $"DashScope no longer gives the result's URL (the task is {output.Status.ToWire()}): it has expired or no longer exists."));
    }

    /// <summary>
    /// One streamed Put Blob of the announced length (its first 4 MB read ahead for the duration), then the SHA-256,
    /// known only once the body is sent, in a Set Blob Metadata on the ETag the upload returned. Null when the body
    /// outruns its Content-Length and passes the limit.
    /// </summary>
    private static async Task<Written?> PutAsync(Target target, Stream source, long length, long limit, CancellationToken cancellationToken)
    {
        var head = ArrayPool<byte>.Shared.Rent(BlockBytes);
        try
        {
            var headLength = await ReadUpToAsync(source, head, (int)Math.Min(BlockBytes, length), cancellationToken);
            var duration = Mp4Header.TryReadDuration(head.AsSpan(0, headLength), 0, out _);
            target.SetDuration(duration);
            await using var body = new SinglePassBody(head.AsMemory(0, headLength), source, length, target.Sha256);
            ETag? uploaded = null;
            BlobProperties? kept;
            try
            {
                kept = await OwnedBlobs.WriteAsync(
                    target.Blob,
                    async (conditions, ct) =>
                    {
                        // A second attempt comes after the name changed hands under the upload; its body is spent.
                        if (body.Spent)
                        {
                            throw new IOException("The output blob changed while the result video was being sent; the copy starts over.");
                        }

                        uploaded = (await target.Blob.UploadAsync(
                            body,
                            new BlobUploadOptions
                            {
                                HttpHeaders = VideoHeaders,
                                Metadata = target.Metadata,
                                Conditions = conditions,

                                // Past this size the client buffers the stream into staged blocks; up to it, one Put Blob.
                                TransferOptions = new StorageTransferOptions { InitialTransferSize = MaxPutBlobBytes },
                            },
                            ct)).Value.ETag;
                    },
                    target.MayReplace,
                    target.Replacing,
                    cancellationToken);
            }
            catch (Exception) when (body.Overran)
            {
                // A Content-Length that the body outruns tells nothing: the body is too long if it passes the limit.
                return await PassesAsync(source, limit - length - 1, cancellationToken) ? null : throw new IOException($"The result video is longer than the {length} bytes it announced.");
            }

            if (kept is not null)
            {
                return new Written(length, duration, Kept: true);
            }

            // Until this lands the blob has no sha256 and is not taken for a finished copy: a crash here copies again.
            target.Metadata[Sha256Key] = Convert.ToHexStringLower(target.Sha256.GetHashAndReset());
            await target.Blob.SetMetadataAsync(target.Metadata, new BlobRequestConditions { IfMatch = uploaded }, cancellationToken);
            return new Written(length, duration, Kept: false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    /// <summary>
    /// Stages 4 MB blocks as they arrive (up to <see cref="StagesInFlight"/> uploading while the download goes on) and
    /// commits them with the SHA-256, for a download of no announced length (or one past a Put Blob's). Null when the
    /// body passes the limit.
    /// </summary>
    private static async Task<Written?> StageAsync(Target target, Stream source, long? expected, long limit, string tag, CancellationToken cancellationToken)
    {
        var blob = target.Blob;
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

                // One byte past the limit tells a body that is too long.
                var filled = await ReadUpToAsync(source, buffer, (int)Math.Min(BlockBytes, limit + 1 - total), cancellationToken);
                if (filled == 0 || total + filled > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    if (filled == 0)
                    {
                        break;
                    }

                    return null;
                }

                target.Sha256.AppendData(buffer, 0, filled);
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

        target.SetDuration(duration);
        target.Metadata[Sha256Key] = Convert.ToHexStringLower(target.Sha256.GetHashAndReset());
        var kept = await OwnedBlobs.WriteAsync(
            blob,
            (conditions, ct) => blob.CommitBlockListAsync(
                blockIds,
                new CommitBlockListOptions { HttpHeaders = VideoHeaders, Metadata = target.Metadata, Conditions = conditions },
                ct),
            target.MayReplace,
            target.Replacing,
            cancellationToken);
        return new Written(total, duration, kept is not null);
    }

    /// <summary>Tags block ids with the job and task, so two jobs staging blocks under one name never mix them.</summary>
    private static string Tag(Request input) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{input.JobId}/{input.TaskId}")), 0, 8);

    /// <summary>The blocks staged so far stay uncommitted: the storage service discards them within a week.</summary>
    private static Result TooLarge(long? announced, long limit) => Result.Failed(
        VaceJobErrorCodes.OutputTooLarge,
        $"The result video is {(announced is { } size ? $"{size} bytes" : "longer than the limit")}; at most {limit} bytes are copied (Vace:MaxDownloadBytes).");

    /// <summary>The largest blob one Put Blob may write (the service's limit, 5000 MiB).</summary>
    public const long MaxPutBlobBytes = 5000L * 1024 * 1024;

    private static readonly BlobHttpHeaders VideoHeaders = new() { ContentType = "video/mp4" };

    /// <summary>
    /// The blob being written, the metadata it gets, the hash of what is sent, and the ETag of an earlier attempt of
    /// this job found at the name (replaced at the first write) or null.
    /// </summary>
    private sealed record Target(BlockBlobClient Blob, Dictionary<string, string> Metadata, IncrementalHash Sha256, ETag? Replacing, Func<BlobProperties, bool> MayReplace)
    {
        public void SetDuration(TimeSpan? duration)
        {
            if (duration is { } seconds)
            {
                Metadata[DurationKey] = seconds.TotalSeconds.ToString("R", CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>What was written: its size and duration, or that the name was left to another job (<paramref name="Kept"/>).</summary>
    private sealed record Written(long Size, TimeSpan? Duration, bool Kept);

    private const string TaskIdKey = "taskid";
    private const string Sha256Key = "sha256";
    private const string DurationKey = "duration";

    /// <summary>A video this job committed for this task: the copy is done.</summary>
    private static bool IsThisCopy(BlobProperties blob, Request input) =>
        OwnedBlobs.BelongsToRun(blob.Metadata, input.JobId, input.RunId, OwnedBlobs.VideoKind)
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

    /// <summary>Reads on until more than <paramref name="budget"/> bytes came (true) or the body ended (false).</summary>
    private static async Task<bool> PassesAsync(Stream source, long budget, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            for (var left = budget + 1; left > 0;)
            {
                var n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                if (n == 0)
                {
                    return false;
                }

                left -= n;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Fills <paramref name="buffer"/> with <paramref name="count"/> bytes, or fewer when the body ends first.</summary>
    private static ValueTask<int> ReadUpToAsync(Stream source, byte[] buffer, int count, CancellationToken cancellationToken) =>
        source.ReadAtLeastAsync(buffer.AsMemory(0, count), count, throwOnEndOfStream: false, cancellationToken);

    /// <param name="JobId">The job, recorded in the blob's metadata.</param>
    /// <param name="TaskId">The DashScope task, whose video's URL the copy asks for; recorded in the metadata.</param>
    /// <param name="Container">The output container.</param>
    /// <param name="Blob">The output blob name.</param>
    public sealed record Request(string JobId, string TaskId, string Container, string Blob)
    {
        /// <summary>The job's run (<see cref="VaceJobRequest.RunId"/>), which owns the video; null for jobs from before runs.</summary>
        public string? RunId { get; init; }
    }

    /// <summary>
    /// The owned blob (URL without SAS), its size, SHA-256 (hex) and the video's duration from its header; or, when
    /// no retry would copy it (expired, too large, refused, another job's name), the job's error code and why (and nothing else).
    /// </summary>
    public sealed record Result(string? BlobUrl, long Size, string? Sha256, double? DurationSeconds)
    {
        /// <summary>
        /// One of <see cref="VaceJobErrorCodes"/>: OutputExpired, OutputTooLarge, OutputRefused, OutputConflict or StepFailed.
        /// </summary>
        public string? ErrorCode { get; init; }

        public string? ErrorMessage { get; init; }

        public static Result Failed(string code, string message) => new(null, 0, null, null) { ErrorCode = code, ErrorMessage = message };
    }
}
