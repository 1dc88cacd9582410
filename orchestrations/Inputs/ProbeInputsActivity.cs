using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using VaceFunctions.Orchestrations.IO;
using VaceFunctions.Orchestrations.Workflow;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.Inputs;

/// <summary>
/// Checks a job's input media before a task is paid for, with a few KB of ranged reads each: videos must be
/// MP4, at most 50 MB and 5 s (clips for video_extension 3 s), the duration read from the MP4 header; images must
/// exist and be PNG, JPEG, BMP or WEBP. Returns every problem found, including a URL whose address
/// <see cref="UrlGuard"/> refuses; network trouble is thrown (and retried). A probe reads at most 64 KB, a few
/// 16-byte box headers and one 4 MB movie header of each medium: a server that ignores ranges is never read past what
/// was asked for (the duration is then left to the service to check). Each medium's probe ends within
/// <see cref="WorkflowOptions.ProbeTimeout"/> whatever its server does (stalls, trickles, never closes): a server that
/// has not answered by then is a problem with that input, like a refused address.
/// </summary>
[DurableTask(Name)]
public sealed class ProbeInputsActivity(
    IHttpClientFactory httpClients, OwnedMediaUrls ownedMedia, IOptions<WorkflowOptions> options, TimeProvider time, VaceTelemetry telemetry)
    : TaskActivity<IReadOnlyList<MediaReference>, IReadOnlyList<string>>
{
    public const string Name = "ProbeInputs";

    /// <summary>Runs on the Durable Task worker (activities have no cancellation token there).</summary>
    public override Task<IReadOnlyList<string>> RunAsync(TaskActivityContext context, IReadOnlyList<MediaReference> input) => RunAsync(input, CancellationToken.None);

    /// <summary>The named HTTP client for media and result videos (address rules of <see cref="UrlGuard"/>, redirects followed).</summary>
    public const string HttpClientName = "vace-media";

    public const long MaxVideoBytes = 50L * 1024 * 1024;
    public static readonly TimeSpan MaxVideoDuration = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxClipDuration = TimeSpan.FromSeconds(3);

    private const int HeadBytes = 64 * 1024;
    private const int MaxMoovBytes = 4 * 1024 * 1024;

    public async Task<IReadOnlyList<string>> RunAsync(IReadOnlyList<MediaReference> input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var span = telemetry.StartStep("vace.probe");
        span?.SetTag("vace.media.count", input.Count);
        var http = httpClients.CreateClient(HttpClientName);
        var problems = new List<string>();
        foreach (var media in input)
        {
            var fetched = media.Owned ? media with { Url = await ownedMedia.SignAsync(media.Url, cancellationToken) } : media;

            // One deadline over every request and read of this medium: the pipeline's timeouts bound only the wait
            // for headers, and a body that trickles a byte now and then would never trip a read timeout.
            var timeout = options.Value.ProbeTimeout;
            using var deadline = new CancellationTokenSource(timeout, time);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            try
            {
                if (await ProbeAsync(http, fetched, bounded.Token) is { } problem)
                {
                    problems.Add($"{media.Path}: {problem}");
                }
            }
            catch (HttpRequestException ex) when (UrlGuard.IsRefusal(ex))
            {
                problems.Add($"{media.Path}: cannot be fetched: {ex.Message}");
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException
                && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                problems.Add($"{media.Path}: its server did not answer in time (the probe gives up after {Seconds(timeout)} s, Vace:ProbeTimeout).");
            }
        }

        span?.SetTag("vace.media.problems", problems.Count);
        return problems;
    }

    private static async Task<string?> ProbeAsync(HttpClient http, MediaReference media, CancellationToken cancellationToken)
    {
        var (status, head, total) = await ReadRangeAsync(http, media.Url, 0, HeadBytes, cancellationToken);
        if (status is { } failed)
        {
            return $"cannot be fetched (HTTP {(int)failed}).";
        }

        if (media.Kind == MediaKind.Image)
        {
            return IsImage(head) ? null : "is not an image the service accepts (PNG, JPEG, BMP or WEBP).";
        }

        if (total > MaxVideoBytes)
        {
            return $"is {total / (1024.0 * 1024):F1} MB; videos may be at most 50 MB.";
        }

        if (!Mp4Header.IsMp4(head))
        {
            return "is not an MP4 video.";
        }

        var duration = await ReadDurationAsync(http, media.Url, head, total, cancellationToken);
        var limit = media.Kind == MediaKind.Clip ? MaxClipDuration : MaxVideoDuration;

        // A small tolerance: encoders round the last frame's duration.
        return duration > limit + TimeSpan.FromMilliseconds(50)
            ? $"is {duration.Value.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s long; {(media.Kind == MediaKind.Clip ? "clips for video_extension" : "videos")} may be at most {limit.TotalSeconds} s."
            : null;
    }

    /// <summary>The duration from moov/mvhd: in the first bytes for a fast-start MP4, else found box by box.</summary>
    private static async Task<TimeSpan?> ReadDurationAsync(HttpClient http, string url, byte[] head, long? total, CancellationToken cancellationToken)
    {
        var duration = Mp4Header.TryReadDuration(head, 0, out var next);
        for (var hops = 0; duration is null && next >= 0 && (total is null || next < total) && hops < 16; hops++)
        {
            var (status, header, _) = await ReadRangeAsync(http, url, next, 16, cancellationToken);
            if (status is not null || header.Length < 8)
            {
                return null;
            }

            var size = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header);
            if (size == 1 && header.Length >= 16)
            {
                size = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(8));
            }

            if (header.AsSpan(4, 4).SequenceEqual("moov"u8))
            {
                var (moovStatus, moov, _) = await ReadRangeAsync(http, url, next, (int)Math.Min(size, MaxMoovBytes), cancellationToken);
                return moovStatus is null ? Mp4Header.TryReadDuration(moov, next, out _) : null;
            }

            if (size < 8)
            {
                return null;
            }

            next += size;
        }

        return duration;
    }

    /// <summary>Reads up to <paramref name="length"/> bytes at <paramref name="offset"/>; a 4xx gives its status, 5xx throws.</summary>
    private static async Task<(HttpStatusCode? Failed, byte[] Bytes, long? Total)> ReadRangeAsync(
        HttpClient http, string url, long offset, int length, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(offset, offset + length - 1);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if ((int)response.StatusCode >= 500)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} while reading an input.", null, response.StatusCode);
        }

        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return (null, [], response.Content.Headers.ContentRange?.Length);
        }

        if (!response.IsSuccessStatusCode)
        {
            return (response.StatusCode, [], null);
        }

        if (response.StatusCode == HttpStatusCode.OK && offset > 0)
        {
            // The server ignored the range: reaching the offset would mean reading the whole file (or an endless body).
            return (null, [], response.Content.Headers.ContentLength);
        }

        var total = response.Content.Headers.ContentRange?.Length ?? response.Content.Headers.ContentLength;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return (null, buffer[..read], total);
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static bool IsImage(ReadOnlySpan<byte> head) =>
        head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G'])
        || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])
        || head.StartsWith("BM"u8)
        || (head.Length >= 12 && head.StartsWith("RIFF"u8) && head.Slice(8, 4).SequenceEqual("WEBP"u8));
}
