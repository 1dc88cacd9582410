using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Workflow;

/// <summary>The output copy on large videos, videos over the limit and expired URLs, over real HTTP into Azurite.</summary>
[Collection(MemoryCollection)]
public sealed class CopyOutputTests
{
    /// <summary>Tests that copy videos run one at a time, so that one's allocations do not count in another's memory bound.</summary>
    public const string MemoryCollection = "Output copies";

    private const long LargeOutput = 300L * 1024 * 1024;

    [Fact]
    public async Task Copy_300MbOutput_StreamsWithBoundedMemoryAndVerifies()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.OutputSizeBytes = LargeOutput);
        var taskId = await SucceededTaskAsync(host);
        var writes = new WriteRecorder();
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services, Recorded(host, writes));

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(10);
            }
        });
        var watch = Stopwatch.StartNew();
        var result = await copy.RunAsync(new CopyOutputActivity.Request("big-job", taskId, host.OutputContainer, "big-job/output.mp4"), CancellationToken.None);
        var elapsed = watch.Elapsed;
        await sampling.CancelAsync();
        await sampler;

        Assert.Equal(LargeOutput, result.Size);
        Assert.Equal(await ExpectedSha256Async(LargeOutput), result.Sha256);
        var properties = await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("big-job/output.mp4").GetPropertiesAsync();
        Assert.Equal(LargeOutput, properties.Value.ContentLength);
        Assert.Equal(result.Sha256, properties.Value.Metadata["sha256"]);

        // One Put Blob, whatever the size: past 256 MB the storage client would otherwise buffer it into blocks.
        Assert.Equal(["Put Blob", "Set Blob Metadata"], writes.Names);

        // The 4 MB read ahead, plus what HTTP and the storage client hold: far below the video's size.
        var grew = (peak - baseline) / (1024.0 * 1024);
        Assert.True(grew < 64, $"managed memory grew by {grew:F1} MB while copying {LargeOutput / (1024 * 1024)} MB in {elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task Copy_ExpiredUrl_IsOutputExpired()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.VideoUrlLifetime = TimeSpan.FromMilliseconds(1));
        var taskId = await SucceededTaskAsync(host);
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services);

        var result = await copy.RunAsync(new CopyOutputActivity.Request("late-job", taskId, host.OutputContainer, "late-job/output.mp4"), CancellationToken.None);

        Assert.Equal(VaceJobErrorCodes.OutputExpired, result.ErrorCode);
        Assert.Contains("403", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Null(result.BlobUrl);
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("late-job/output.mp4").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Copy_AnnouncedLongerThanTheLimit_IsOutputTooLargeAndNothingIsWritten()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.OutputSizeBytes = 8L * 1024 * 1024, settings: Limit(1024 * 1024));
        var taskId = await SucceededTaskAsync(host);
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services);

        var result = await copy.RunAsync(new CopyOutputActivity.Request("too-big", taskId, host.OutputContainer, "too-big/output.mp4"), CancellationToken.None);

        Assert.Equal(VaceJobErrorCodes.OutputTooLarge, result.ErrorCode);
        Assert.Contains($"{8L * 1024 * 1024} bytes", result.ErrorMessage, StringComparison.Ordinal);
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("too-big/output.mp4").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Copy_TaskTheServiceNoLongerKnows_IsOutputExpiredWithoutDownloading()
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false);
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services);

        var result = await copy.RunAsync(new CopyOutputActivity.Request("forgotten", "no-such-task", host.OutputContainer, "forgotten/output.mp4"), CancellationToken.None);

        Assert.Equal(VaceJobErrorCodes.OutputExpired, result.ErrorCode);
        Assert.Contains("UNKNOWN", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, host.Simulator.State.Counters().VideoRequests);
    }

    [Fact]
    public async Task Copy_ServiceOutOfReach_FailsForARetry_AndTheNextAttemptAsksAgainAndCopies()
    {
        await using var host = await WorkflowHost.StartAsync(settings: new Dictionary<string, string?> { ["DashScope:MaxRetries"] = "0" });
        var taskId = await SucceededTaskAsync(host);
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services);
        var request = new CopyOutputActivity.Request("asks-again", taskId, host.OutputContainer, "asks-again/output.mp4");
        var polls = host.Simulator.State.Counters().PollsByTask[taskId];
        host.Simulator.State.Faults = new SimulatorFaults { ServerErrors = 1 };

        var outage = await Assert.ThrowsAsync<DashScopeException>(() => copy.RunAsync(request, CancellationToken.None));
        var copied = await copy.RunAsync(request, CancellationToken.None);

        Assert.True(outage.IsRetryable);
        Assert.True(copied.ErrorCode is null, copied.ErrorMessage);
        Assert.Equal(SampleVideo.Bytes.Length, copied.Size);
        Assert.Equal(polls + 1, host.Simulator.State.Counters().PollsByTask[taskId]);
        Assert.Equal(1, host.Simulator.State.Counters().VideoRequests);
    }

    /// <summary>48 MB behind no length (to the end of the connection, or chunked), and behind a Content-Length of 1000 that chunks contradict.</summary>
    [Theory]
    [InlineData("Connection: close\r\n", false)]
    [InlineData("Transfer-Encoding: chunked\r\n", true)]
    [InlineData("Content-Length: 1000\r\nTransfer-Encoding: chunked\r\n", true)]
    public async Task Copy_BodyLongerThanTheLimitWithoutATrueLength_StopsAtTheLimitAsOutputTooLarge(string headers, bool chunked)
    {
        const long limit = 1024 * 1024;
        await using var origin = RawHttpServer.Start(
            $"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n{headers}\r\n", bodyBytes: 48L * 1024 * 1024, chunked: chunked);
        var settings = Limit(limit);
        settings["Vace:AllowLoopbackUrls"] = "true";
        await using var host = await WorkflowHost.StartAsync(runWorker: false, settings: settings);
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services);

        var result = await copy.RunAsync(new CopyOutputActivity.Request("endless", "task-1", host.OutputContainer, "endless/output.mp4"), origin.Url("video.mp4"), CancellationToken.None);

        Assert.True(result.ErrorCode == VaceJobErrorCodes.OutputTooLarge, $"{result.ErrorCode}: {result.ErrorMessage} (size {result.Size})");
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("endless/output.mp4").ExistsAsync()).Value);

        // The limit, plus what socket buffers took before the copy hung up.
        Assert.True(origin.BodyBytesSent < limit + (16L * 1024 * 1024), $"the server sent {origin.BodyBytesSent} bytes");
    }

    [Fact]
    public async Task Copy_KnownLength_IsOnePutBlobThenItsSha256InTheMetadata()
    {
        await using var origin = RawHttpServer.Start($"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {VideoBytes}\r\n\r\n", Prefix, VideoBytes);
        await using var host = await WorkflowHost.StartAsync(runWorker: false, settings: Loopback());
        var writes = new WriteRecorder();

        var result = await CopyAsync(host, origin, "known/output.mp4", writes);

        Assert.Equal((ExpectedSha256(VideoBytes), VideoBytes), (result.Sha256, result.Size));
        Assert.Equal(["Put Blob", "Set Blob Metadata"], writes.Names);
        var properties = (await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("known/output.mp4").GetPropertiesAsync()).Value;
        Assert.Equal((VideoBytes, "video/mp4", result.Sha256, "known", "task-1"), (properties.ContentLength, properties.ContentType, properties.Metadata["sha256"], properties.Metadata["jobid"], properties.Metadata["taskid"]));
        Assert.Equal(result.Sha256, await ContentSha256Async(host, "known/output.mp4"));
    }

    [Fact]
    public async Task Copy_ChunkedDownload_IsStagedInBlocksAndCommittedWithItsSha256()
    {
        await using var origin = RawHttpServer.Start("HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n", Prefix, VideoBytes, chunked: true);
        await using var host = await WorkflowHost.StartAsync(runWorker: false, settings: Loopback());
        var writes = new WriteRecorder();

        var result = await CopyAsync(host, origin, "chunked/output.mp4", writes);

        Assert.Equal((ExpectedSha256(VideoBytes), VideoBytes), (result.Sha256, result.Size));
        Assert.Equal(["Put Block", "Put Block", "Put Block List"], writes.Names);
        var properties = (await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("chunked/output.mp4").GetPropertiesAsync()).Value;
        Assert.Equal((VideoBytes, "video/mp4", result.Sha256), (properties.ContentLength, properties.ContentType, properties.Metadata["sha256"]));
        Assert.Equal(result.Sha256, await ContentSha256Async(host, "chunked/output.mp4"));
    }

    [Fact]
    public async Task Copy_BodyEndingBeforeItsContentLength_FailsForARetryAndLeavesNoBlob()
    {
        await using var origin = RawHttpServer.Start($"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {VideoBytes}\r\n\r\n", Prefix, VideoBytes - (1024 * 1024));
        await using var host = await WorkflowHost.StartAsync(runWorker: false, settings: Loopback());
        var writes = new WriteRecorder();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => CopyAsync(host, origin, "short/output.mp4", writes));

        // The storage client's retry of the failed Put Blob is refused before it sends a byte, and nothing else is written.
        Assert.Equal(["Put Blob", "Put Blob"], writes.Names);
        Assert.Contains("ended prematurely", error.ToString(), StringComparison.Ordinal);
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("short/output.mp4").ExistsAsync()).Value);
    }

    /// <summary>A download that stops sending after its first 64 KB and holds the connection open: announced, or chunked.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Copy_DownloadOnWhichNoByteArrivesForTheStallWindow_IsCutForARetryAndLeavesNoBlob(bool chunked)
    {
        var head = chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {VideoBytes}\r\n";
        await using var origin = RawHttpServer.Start(
            $"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n{head}\r\n", Prefix, VideoBytes, chunked, stallAfter: 64 * 1024);
        var settings = Loopback();
        settings["Vace:DownloadStallTimeout"] = "00:00:01";
        await using var host = await WorkflowHost.StartAsync(runWorker: false, settings: settings);
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => CopyAsync(host, origin, "stalled/output.mp4", new WriteRecorder()).WaitAsync(TimeSpan.FromSeconds(90)));

        Assert.Contains("No byte of the download arrived for 1 s", error.ToString(), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the copy gave up after {watch.Elapsed}");
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient("stalled/output.mp4").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Copy_DownloadLongerThanTheStallWindowThatKeepsComing_IsCopiedWhole()
    {
        // 16 bytes, one every 300 ms: about 5 s in all against a 1 s stall window.
        await using var origin = RawHttpServer.Start(
            "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 16\r\n\r\n", Prefix, 16, byteInterval: TimeSpan.FromMilliseconds(300));
        var settings = Loopback();
        settings["Vace:DownloadStallTimeout"] = "00:00:01";
        await using var host = await WorkflowHost.StartAsync(runWorker: false, settings: settings);
        var watch = Stopwatch.StartNew();

        var result = await CopyAsync(host, origin, "trickled/output.mp4", new WriteRecorder());

        Assert.Equal((16L, Convert.ToHexStringLower(SHA256.HashData(Prefix.AsSpan(0, 16)))), (result.Size, result.Sha256));
        Assert.True(watch.Elapsed > TimeSpan.FromSeconds(3), $"the download took only {watch.Elapsed}");
    }

    [Fact]
    public void DownloadStallTimeout_DefaultsTo2Minutes() => Assert.Equal(TimeSpan.FromMinutes(2), new WorkflowOptions().DownloadStallTimeout);

    private static Dictionary<string, string?> Limit(long bytes) => new() { ["Vace:MaxDownloadBytes"] = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static async Task<string> SucceededTaskAsync(WorkflowHost host)
    {
        var client = host.Services.GetRequiredService<DashScopeClient>();
        var taskId = (await client.SubmitAsync(host.Sample("video_edit", "copy")))!.Output!.TaskId!;
        while (true)
        {
            var task = await client.GetTaskAsync(taskId);
            if (task.Output!.Status == DashScopeTaskStatus.Succeeded)
            {
                return taskId;
            }

            await Task.Delay(100);
        }
    }

    // Over one 4 MB block, so that a staged copy takes several.
    private const long VideoBytes = (6L * 1024 * 1024) + 123;

    private static readonly byte[] Prefix = RandomNumberGenerator.GetBytes(4096);

    private static Dictionary<string, string?> Loopback() => new() { ["Vace:AllowLoopbackUrls"] = "true" };

    /// <summary>The SHA-256 of what <see cref="RawHttpServer"/> serves: <see cref="Prefix"/>, then zeros.</summary>
    private static string ExpectedSha256(long size)
    {
        var body = new byte[size];
        Prefix.CopyTo(body, 0);
        return Convert.ToHexStringLower(SHA256.HashData(body));
    }

    /// <summary>A storage client on the host's account whose writes <paramref name="writes"/> records.</summary>
    private static BlobServiceClient Recorded(WorkflowHost host, WriteRecorder writes)
    {
        var options = new BlobClientOptions();
        options.AddPolicy(writes, HttpPipelinePosition.PerRetry);
        return new BlobServiceClient(host.Storage, options);
    }

    /// <summary>Copies from <paramref name="origin"/> through a storage client whose writes <paramref name="writes"/> records.</summary>
    private static Task<CopyOutputActivity.Result> CopyAsync(WorkflowHost host, RawHttpServer origin, string blob, WriteRecorder writes)
    {
        var copy = ActivatorUtilities.CreateInstance<CopyOutputActivity>(host.Services, Recorded(host, writes));
        return copy.RunAsync(new CopyOutputActivity.Request(blob.Split('/')[0], "task-1", host.OutputContainer, blob), origin.Url("video.mp4"), CancellationToken.None);
    }

    private static async Task<string> ContentSha256Async(WorkflowHost host, string blob)
    {
        await using var content = await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient(blob).OpenReadAsync();
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(content));
    }

    /// <summary>Names each write request sent to a blob (every attempt, retries too); reads and container calls are left out.</summary>
    private sealed class WriteRecorder : HttpPipelineSynchronousPolicy
    {
        private readonly ConcurrentQueue<string> _names = new();

        public string[] Names => [.. _names];

        public override void OnSendingRequest(HttpMessage message)
        {
            var query = message.Request.Uri.Query;
            if (message.Request.Method != RequestMethod.Put || query.Contains("restype=container", StringComparison.Ordinal))
            {
                return;
            }

            _names.Enqueue(
                query.Contains("comp=blocklist", StringComparison.Ordinal) ? "Put Block List"
                : query.Contains("comp=block", StringComparison.Ordinal) ? "Put Block"
                : query.Contains("comp=metadata", StringComparison.Ordinal) ? "Set Blob Metadata"
                : "Put Blob");
        }
    }

    internal static async Task<string> ExpectedSha256Async(long size)
    {
        await using var video = SampleVideo.Open(size);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(video));
    }
}
